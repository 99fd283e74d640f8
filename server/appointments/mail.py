"""A booking's mails through the outbox (server/mail): confirmation with the `.ics`, a reminder
the day before, a cancellation notice. Japanese first, then the booking's language.

The address goes only into the outbox row (server/mail erases it once sent); nothing here logs it.
"""

import hashlib
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from server.appointments.texts import MailText, mail_text
from server.catalog.schemas import AppointmentsSpec
from server.catalog.snapshot import BranchCatalog
from server.catalog.translations import localize
from server.mail import Attachment, cancel_mail, queue_mail
from server.models import Appointment


def manage_url(base_url: str, manage_token: str) -> str:
    """The booking's own page (view, cancel), like a ticket's status_url."""
    return f"{base_url.rstrip('/')}/a/{manage_token}"


def reminder_reference(appointment: Appointment) -> str:
    return f"appointment:{appointment.id}:reminder"


def _names(catalog: BranchCatalog, appointment: Appointment, language: str) -> tuple[str, str]:
    """(branch, service) in `language`."""
    translations = catalog.branch.settings.get("translations") or {}
    service = catalog.services[appointment.service_id]
    branch = localize(translations, language, ("branch",), ja=catalog.branch.name_ja, en=catalog.branch.name_en)
    name = localize(translations, language, ("services", service.key), ja=service.name_ja, en=service.name_en)
    return branch.text, name.text


def _when(catalog: BranchCatalog, appointment: Appointment, text: MailText) -> str:
    zone = ZoneInfo(catalog.branch.timezone)
    start, end = appointment.start_at.astimezone(zone), appointment.end_at.astimezone(zone)
    return text.when(start, end)


def _body(catalog: BranchCatalog, appointment: Appointment, base_url: str, kind: str) -> tuple[str, str]:
    """Subject and body: Japanese, then the booking's language when it is another."""
    languages = ["ja"] if appointment.language == "ja" else ["ja", appointment.language]
    parts = []
    subject = ""
    for language in languages:
        text = mail_text(language)
        branch, service = _names(catalog, appointment, language)
        if not subject:
            subject = text.subjects[kind].format(branch=branch)
        lines = [
            text.openings[kind],
            "",
            f"{text.labels['service']}: {service}",
            f"{text.labels['when']}: {_when(catalog, appointment, text)}",
            f"{text.labels['where']}: {branch}",
            f"{text.labels['code']}: {appointment.code}",
        ]
        if kind != "cancelled":
            lines += [f"{text.labels['manage']}: {manage_url(base_url, appointment.manage_token)}", "", text.check_in]
        parts.append("\n".join(lines))
    return subject, "\n\n----------------------------------------\n\n".join(parts) + "\n"


def _send_reminder_at(catalog: BranchCatalog, appointment: Appointment) -> datetime:
    settings = AppointmentsSpec.model_validate(catalog.branch.settings.get("appointments") or {})
    zone = ZoneInfo(catalog.branch.timezone)
    day_before: date = appointment.start_at.astimezone(zone).date() - timedelta(days=1)
    hour, minute = (int(part) for part in settings.reminder_at.split(":"))
    return datetime.combine(day_before, time(hour, minute), tzinfo=zone)


def queue_confirmation(
    session: Session, *, catalog: BranchCatalog, appointment: Appointment, now: datetime, base_url: str
) -> None:
    assert appointment.email is not None
    subject, body = _body(catalog, appointment, base_url, "confirmed")
    queue_mail(
        session,
        to=appointment.email,
        subject=subject,
        body=body,
        now=now,
        attachments=(
            Attachment(
                "appointment.ics",
                "text/calendar; charset=utf-8; method=PUBLISH",
                calendar_file(catalog, appointment, base_url=base_url, now=now),
            ),
        ),
        reference=f"appointment:{appointment.id}:confirmation",
    )


def queue_reminder(
    session: Session, *, catalog: BranchCatalog, appointment: Appointment, now: datetime, base_url: str
) -> None:
    """The day before, unless that moment has passed already (a booking for tomorrow evening)."""
    assert appointment.email is not None
    send_at = _send_reminder_at(catalog, appointment)
    if send_at <= now:
        return
    subject, body = _body(catalog, appointment, base_url, "reminder")
    queue_mail(
        session,
        to=appointment.email,
        subject=subject,
        body=body,
        now=now,
        send_after=send_at,
        reference=reminder_reference(appointment),
    )


def cancel_reminder(session: Session, *, appointment: Appointment) -> None:
    cancel_mail(session, reference=reminder_reference(appointment))


def queue_cancellation(
    session: Session, *, catalog: BranchCatalog, appointment: Appointment, now: datetime, base_url: str
) -> None:
    assert appointment.email is not None
    subject, body = _body(catalog, appointment, base_url, "cancelled")
    queue_mail(
        session,
        to=appointment.email,
        subject=subject,
        body=body,
        now=now,
        reference=f"appointment:{appointment.id}:cancellation",
    )


# --- iCalendar (RFC 5545) -----------------------------------------------------------------


def _escape(text: str) -> str:
    return (
        text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\r\n", "\\n").replace("\n", "\\n")
    )


def _fold(line: str) -> list[str]:
    """Lines of at most 75 octets, continued with a leading space (never splitting a character)."""
    folded: list[str] = []
    current = ""
    for character in line:
        limit = 75 if not folded else 74
        if len((current + character).encode("utf-8")) > limit:
            folded.append(current)
            current = character
        else:
            current += character
    folded.append(current)
    return [folded[0], *(" " + part for part in folded[1:])]


def _utc(moment: datetime) -> str:
    return moment.astimezone(ZoneInfo("UTC")).strftime("%Y%m%dT%H%M%SZ")


def calendar_uid(appointment: Appointment) -> str:
    """Stable for the booking, revealing nothing (not its manage token)."""
    digest = hashlib.sha256(f"madoguchi-appointment:{appointment.manage_token}".encode()).hexdigest()[:32]
    return f"{digest}@madoguchi"


def calendar_file(catalog: BranchCatalog, appointment: Appointment, *, base_url: str, now: datetime) -> bytes:
    """One VEVENT in UTC; the summary names the procedure and the code, never the citizen."""
    branch = catalog.branch.name_ja
    service = catalog.services[appointment.service_id].name_ja
    cancelled = str(appointment.status) == "cancelled"
    link = manage_url(base_url, appointment.manage_token)
    summary = f"予約 {service}({appointment.code})"
    description = f"予約番号 Code: {appointment.code}\n{link}"
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Madoguchi//Appointments//JA",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "BEGIN:VEVENT",
        f"UID:{calendar_uid(appointment)}",
        f"DTSTAMP:{_utc(now)}",
        f"DTSTART:{_utc(appointment.start_at)}",
        f"DTEND:{_utc(appointment.end_at)}",
        f"SUMMARY:{_escape(summary)}",
        f"LOCATION:{_escape(branch)}",
        f"DESCRIPTION:{_escape(description)}",
        f"URL:{link}",
        f"STATUS:{'CANCELLED' if cancelled else 'CONFIRMED'}",
        "END:VEVENT",
        "END:VCALENDAR",
    ]
    return ("\r\n".join(folded for line in lines for folded in _fold(line)) + "\r\n").encode("utf-8")
