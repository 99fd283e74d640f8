"""Sending the outbox's mails over SMTP (MADOGUCHI_SMTP_URL, MADOGUCHI_MAIL_FROM).

URLs: `smtp://host:port` (plain; add `?starttls=true` to upgrade, or use `smtp+starttls://`),
`smtps://host:port` (TLS from the first byte), optional `user:password@` for AUTH, optional
`?cafile=/path/ca.pem` for a mail server whose certificate a city hall's own CA signed.
smtplib blocks, so each mail goes out in a worker thread; the dispatcher waits for it, never a request.
"""

import asyncio
import base64
import re
import smtplib
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from server.models import OutboxDelivery
from server.outbox.dispatcher import DeliveryFailed, Sender

_ADDRESS_LIKE = re.compile(r"[^\s<>\"'(),;:]+@[^\s<>\"'(),;:]+")
TRUE_WORDS = {"1", "true", "yes", "on"}


@dataclass(frozen=True)
class SmtpTarget:
    host: str
    port: int
    tls: bool  # smtps: TLS from the start
    starttls: bool
    username: str | None
    password: str | None
    cafile: str | None

    def context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)


def parse_smtp_url(url: str) -> SmtpTarget:
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in ("smtp", "smtps", "smtp+starttls") or not parts.hostname:
        raise ValueError("MADOGUCHI_SMTP_URL must look like smtp://host:port or smtps://host:port")
    query = parse_qs(parts.query)
    tls = scheme == "smtps"
    starttls = scheme == "smtp+starttls" or query.get("starttls", ["false"])[0].lower() in TRUE_WORDS
    return SmtpTarget(
        host=parts.hostname,
        port=parts.port or (465 if tls else 587 if starttls else 25),
        tls=tls,
        starttls=starttls,
        username=unquote(parts.username) if parts.username else None,
        password=unquote(parts.password) if parts.password else None,
        cafile=query.get("cafile", [None])[0],
    )


def scrub(text: str, recipient: str | None) -> str:
    """An error text fit for the row and the log: no e-mail address in it."""
    if recipient:
        text = text.replace(recipient, "<recipient>")
    return _ADDRESS_LIKE.sub("<address>", text)


def _params(content_type: str) -> tuple[str, str, dict[str, str]]:
    kind, *rest = (part.strip() for part in content_type.split(";"))
    maintype, _, subtype = kind.partition("/")
    params: dict[str, str] = {}
    for part in rest:
        name, _, value = part.partition("=")
        if name:
            params[name.strip().lower()] = value.strip().strip('"')
    return maintype or "application", subtype or "octet-stream", params


def build_message(
    *, sender: str, recipient: str, payload: Mapping[str, Any], delivery_id: str, at: Any
) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = recipient
    message["Subject"] = str(payload.get("subject", ""))
    message["Date"] = format_datetime(at)
    # The same id on every attempt: a mail server or client that saw it already can drop the repeat.
    domain = sender.rpartition("@")[2] or "madoguchi"
    message["Message-ID"] = f"<{delivery_id}@{domain}>"
    message.set_content(str(payload.get("body", "")), charset="utf-8")
    for attachment in payload.get("attachments", []):
        maintype, subtype, params = _params(str(attachment["content_type"]))
        message.add_attachment(
            base64.b64decode(attachment["data"]),
            maintype=maintype,
            subtype=subtype,
            filename=str(attachment["filename"]),
            params=params,
        )
    return message


def send_one(target: SmtpTarget, message: EmailMessage, *, sender: str, recipient: str, timeout: float) -> None:
    client: smtplib.SMTP
    if target.tls:
        client = smtplib.SMTP_SSL(target.host, target.port, timeout=timeout, context=target.context())
    else:
        client = smtplib.SMTP(target.host, target.port, timeout=timeout)
    with client:
        if target.starttls:
            client.starttls(context=target.context())
        if target.username is not None:
            client.login(target.username, target.password or "")
        client.send_message(message, from_addr=sender, to_addrs=[recipient])


def smtp_sender(url: str, *, mail_from: str, timeout: float, clock: Any) -> Sender:
    """The outbox's sender for kind "mail"."""
    target = parse_smtp_url(url)

    async def send(row: OutboxDelivery) -> None:
        recipient = row.recipient
        if not recipient:
            # Erased by retention before it could be sent: nothing left to send it to.
            raise DeliveryFailed("the address was erased before the mail could be sent", permanent=True)
        message = build_message(
            sender=mail_from, recipient=recipient, payload=row.payload, delivery_id=row.delivery_id, at=clock()
        )
        try:
            await asyncio.to_thread(send_one, target, message, sender=mail_from, recipient=recipient, timeout=timeout)
        except smtplib.SMTPRecipientsRefused as refused:
            codes = sorted({code for code, _ in refused.recipients.values()})
            raise DeliveryFailed(
                f"the mail server refused the recipient (SMTP {', '.join(map(str, codes))})",
                permanent=all(code >= 500 for code in codes),
            ) from None
        except smtplib.SMTPResponseException as error:
            text = (
                error.smtp_error.decode("utf-8", "replace")
                if isinstance(error.smtp_error, bytes)
                else str(error.smtp_error)
            )
            raise DeliveryFailed(f"SMTP {error.smtp_code}: {scrub(text, recipient)[:300]}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise DeliveryFailed(f"{type(error).__name__}: {scrub(str(error), recipient)[:300]}") from None

    return send
