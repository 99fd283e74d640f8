"""Sending one webhook: POST the stored body, signed now with the receiver's current signing key.

The body is fixed when the delivery is written; the signature (its time and key) is made per
attempt, so a retry after a key switch is signed with the new key, and `Madoguchi-Delivery`
repeats the same id every time. Only a 2xx counts as delivered; redirects are not followed.
"""

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass

import httpx
from sqlalchemy import Engine
from sqlmodel import select

from server.db import read_session
from server.models import OutboxDelivery, WebhookKey, WebhookReceiver
from server.outbox.dispatcher import DeliveryFailed, Sender
from server.webhooks.signing import DELIVERY_HEADER, EVENT_HEADER, KEY_ID_HEADER, SIGNATURE_HEADER, signature

USER_AGENT = "Madoguchi-Webhooks/1"


@dataclass(frozen=True)
class Target:
    url: str
    enabled: bool
    key_id: str
    secret: str | None


def target_of(engine: Engine, receiver_id: int) -> Target | None:
    with read_session(engine) as session:
        receiver = session.get(WebhookReceiver, receiver_id)
        if receiver is None:
            return None
        key = session.exec(
            select(WebhookKey).where(
                WebhookKey.receiver_id == receiver_id, WebhookKey.key_id == receiver.signing_key_id
            )
        ).first()
        return Target(
            url=receiver.url,
            enabled=receiver.enabled,
            key_id=receiver.signing_key_id,
            secret=key.secret if key else None,
        )


def webhook_sender(
    engine: Engine, client: Callable[[], httpx.AsyncClient], *, wall_clock: Callable[[], float] = time.time
) -> Sender:
    """The outbox's sender for kind "webhook"; `client` gives the HTTP client the caller owns and closes."""

    async def send(row: OutboxDelivery) -> None:
        if row.receiver_id is None:
            raise DeliveryFailed("the delivery names no receiver", permanent=True)
        target = await asyncio.to_thread(target_of, engine, row.receiver_id)
        if target is None:
            raise DeliveryFailed("the receiver was removed", permanent=True)
        if not target.enabled:
            raise DeliveryFailed("the receiver is disabled", permanent=True)
        if target.secret is None:
            raise DeliveryFailed(f"the receiver has no key {target.key_id!r} to sign with", permanent=True)
        body = str(row.payload.get("body", "")).encode("utf-8")
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: signature(target.secret, body, int(wall_clock())),
            KEY_ID_HEADER: target.key_id,
            DELIVERY_HEADER: row.delivery_id,
            EVENT_HEADER: str(row.payload.get("type", "")),
        }
        try:
            response = await client().post(target.url, content=body, headers=headers, follow_redirects=False)
        except httpx.HTTPError as error:
            raise DeliveryFailed(f"{type(error).__name__}: {error}"[:300]) from None
        if not 200 <= response.status_code < 300:
            raise DeliveryFailed(f"the receiver answered HTTP {response.status_code}")

    return send
