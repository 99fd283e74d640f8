"""The outbox in a server process: the dispatcher with its senders, started in the lifespan.

Mail is sent when MADOGUCHI_SMTP_URL is set (else mails wait in the outbox); webhooks always
(their receivers are in the database). The relay from the event log runs at the start of every
round, and a committed ticket event wakes the dispatcher at once instead of at the next poll.
"""

import asyncio
import logging
from collections.abc import Sequence
from datetime import datetime

import httpx
from fastapi import FastAPI
from sqlmodel import col, select

from server.config import Settings
from server.db import read_session, write_session
from server.mail.smtp import smtp_sender
from server.models import WebhookReceiver
from server.outbox.dispatcher import OutboxDispatcher, Retry, Sender
from server.outbox.store import KIND_MAIL, KIND_WEBHOOK
from server.realtime.bus import Delivery
from server.webhooks.relay import SOURCE_TYPES, relay_events
from server.webhooks.sender import webhook_sender
from server.webhooks.service import sync_settings_receiver

logger = logging.getLogger("madoguchi.outbox")


class Outbox:
    """What the lifespan starts and stops."""

    def __init__(self, app: FastAPI) -> None:
        settings: Settings = app.state.settings
        self.engine = app.state.engine
        self.clock = app.state.clock
        self.settings = settings
        # Made when the server starts (an app that is only built, never started, holds no sockets).
        self.client: httpx.AsyncClient | None = None
        self._starts = 0
        senders: dict[str, Sender] = {KIND_WEBHOOK: webhook_sender(self.engine, self._client)}
        if settings.smtp_url:
            senders[KIND_MAIL] = smtp_sender(
                settings.smtp_url,
                mail_from=settings.mail_from,
                timeout=settings.smtp_timeout_seconds,
                clock=self.clock,
            )
        self.dispatcher = OutboxDispatcher(
            self.engine,
            self.clock,
            senders=senders,
            retry=Retry(
                max_attempts=settings.outbox_max_attempts,
                base_seconds=settings.outbox_retry_base_seconds,
                max_seconds=settings.outbox_retry_max_seconds,
            ),
            poll_seconds=settings.outbox_poll_seconds,
            lease_seconds=settings.outbox_lease_seconds,
            before_round=self._relay,
        )
        app.state.bus.add_fan_out_listener(self._on_deliveries)

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client = httpx.AsyncClient(timeout=self.settings.webhook_timeout_seconds)
        return self.client

    def _relay(self) -> int:
        return relay_events(self.engine, now=self.clock())

    def _on_deliveries(self, deliveries: Sequence[Delivery]) -> None:
        if any(delivery.message.get("type") in SOURCE_TYPES for delivery in deliveries):
            self.dispatcher.wake()

    def sync_settings(self, now: datetime) -> None:
        if not (self.settings.webhook_url and self.settings.webhook_secret):
            with read_session(self.engine) as session:
                if not session.exec(
                    select(WebhookReceiver.id).where(col(WebhookReceiver.from_settings), col(WebhookReceiver.enabled))
                ).first():
                    return  # nothing to create, nothing to switch off: no write at start-up
        with write_session(self.engine) as session:
            sync_settings_receiver(
                session,
                url=self.settings.webhook_url,
                secret=self.settings.webhook_secret,
                key_id=self.settings.webhook_key_id,
                now=now,
            )
            session.commit()

    async def start(self) -> None:
        # One dispatcher per app, also when its lifespan runs twice at once (two test clients
        # on one app): the first start runs it, the last stop ends it.
        self._starts += 1
        if self._starts > 1:
            return
        try:
            await asyncio.to_thread(self.sync_settings, self.clock())
        except Exception:
            # A database that is not migrated yet, or away: the rest of the server still starts.
            logger.warning("could not apply the webhook receiver from the settings", exc_info=True)
        await self.dispatcher.start()

    async def stop(self) -> None:
        self._starts -= 1
        if self._starts > 0:
            return
        await self.dispatcher.stop()
        if self.client is not None:
            await self.client.aclose()
            self.client = None

    def wake(self) -> None:
        self.dispatcher.wake()
