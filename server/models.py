"""Every table, in one module so relationships never need circular imports."""

from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import JSON, Column, Field, SQLModel


class UTCDateTime(TypeDecorator[datetime]):
    """Stores UTC, always returns an aware datetime (SQLite keeps no time zone)."""

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; pass an aware one")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: sa.Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


def at_column(*, nullable: bool = True, index: bool = False) -> Any:
    return Field(default=None, sa_column=Column(UTCDateTime(), nullable=nullable, index=index))


class Stage(StrEnum):
    front = "front"
    middle = "middle"
    back = "back"


class Role(StrEnum):
    municipal = "municipal"
    contractor = "contractor"
    admin = "admin"


class CounterState(StrEnum):
    open = "open"
    closed = "closed"


class DeviceKind(StrEnum):
    kiosk = "kiosk"
    display = "display"


class StopStatus(StrEnum):
    pending = "pending"
    waiting = "waiting"
    called = "called"
    serving = "serving"
    done = "done"
    no_show = "no_show"
    skipped = "skipped"


# A stop in one of these is in a counter's hands.
ACTIVE_STOP_STATUSES = (StopStatus.called, StopStatus.serving)


class TicketStatus(StrEnum):
    waiting = "waiting"
    called = "called"
    serving = "serving"
    processing = "processing"
    done = "done"
    no_show = "no_show"
    cancelled = "cancelled"


FINISHED_TICKET_STATUSES = (TicketStatus.done, TicketStatus.no_show, TicketStatus.cancelled)


class Branch(SQLModel, table=True):
    id: str = Field(primary_key=True, max_length=40)
    name_ja: str
    name_en: str
    timezone: str = "Asia/Tokyo"
    opens_at: str = "08:30"
    closes_at: str = "17:15"
    last_ticket_at: str = "17:00"
    min_normal_between: int = 2
    issuing_stopped: bool = False
    # One more with every change of the rules (apply_config): an admin edit prepared outside the
    # write lock is written only if nobody changed the rules meanwhile.
    catalog_version: int = 0
    # Announcement templates, reason codes, ticket notice: read-mostly settings from the config.
    settings: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Queue(SQLModel, table=True):
    """A ticket prefix with its neutral public label (several services may share one)."""

    __table_args__ = (sa.UniqueConstraint("branch_id", "prefix"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    prefix: str = Field(max_length=2)
    name_ja: str
    name_en: str
    label_ja: str
    label_en: str
    kiosk: bool = True


class Service(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("branch_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    key: str = Field(max_length=60)
    queue_id: int = Field(foreign_key="queue.id")
    name_ja: str
    name_en: str
    stage: Stage = Stage.front
    staff_only: bool = False
    citizen_present: bool = True
    typical_minutes: float = 5.0
    kiosk: bool = True
    sensitive: bool = False
    fair_by_arrival: bool = True
    issue_cutoff_at: str | None = None
    # お渡し: its call says that the documents the back office prepared are ready.
    hands_over: bool = False
    position: int = 0
    active: bool = True


class Counter(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("branch_id", "code"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    code: str = Field(max_length=20)
    name_ja: str
    name_en: str
    area: str = ""
    public: bool = True
    staffed_by: str = "staff"
    state: CounterState = CounterState.closed
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    # No foreign key: stop.counter_id already points here, and a cycle complicates DDL.
    current_stop_id: int | None = None
    # Anti-starvation: normal tickets called here since the last priority call.
    normal_calls_since_priority: int = 0
    # Calling rule for bookings: due appointments called here since the last walk-in.
    appointment_calls_in_row: int = 0
    opened_at: datetime | None = at_column()
    position: int = 0
    active: bool = True


class CounterService(SQLModel, table=True):
    counter_id: int = Field(foreign_key="counter.id", primary_key=True)
    service_id: int = Field(foreign_key="service.id", primary_key=True)
    position: int = 0
    weight: float = 1.0


class PriorityCategory(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("branch_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    key: str
    name_ja: str
    name_en: str
    rank: int = 1
    active: bool = True


class Question(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("branch_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    key: str
    text_ja: str
    text_en: str
    # Asked only when these (asked before it) were answered yes: see catalog.schemas.QuestionSpec.
    show_when: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))


class LifeEvent(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("branch_id", "key"),)
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    key: str
    name_ja: str
    name_en: str
    icon: str = ""
    sensitive: bool = False
    note_ja: str = ""
    note_en: str = ""
    position: int = 0
    active: bool = True


class LifeEventQuestion(SQLModel, table=True):
    life_event_id: int = Field(foreign_key="lifeevent.id", primary_key=True)
    question_id: int = Field(foreign_key="question.id", primary_key=True)
    position: int = 0


class LifeEventStep(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    life_event_id: int = Field(foreign_key="lifeevent.id", index=True)
    position: int
    service_id: int = Field(foreign_key="service.id")
    # Question keys that must all be answered yes; empty = always.
    when: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False))
    # Question keys of which at least one must be answered yes; empty = no such condition.
    when_any: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Question keys none of which may be answered yes (a 国外転出 gets no 転出証明書 to pick up).
    unless: list[str] = Field(default_factory=list, sa_column=Column(JSON, nullable=False, server_default="[]"))
    # Consecutive steps sharing a group may be taken in any order (the shortest wait first).
    group: str | None = Field(default=None, max_length=40)


class NumberSequence(SQLModel, table=True):
    """Last number handed out per branch, business day and prefix; never reused."""

    branch_id: str = Field(primary_key=True)
    business_on: date = Field(primary_key=True)
    prefix: str = Field(primary_key=True)
    last_value: int = 0


class Ticket(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("branch_id", "business_on", "prefix", "sequence"),
        # One ticket per Idempotency-Key: a kiosk that retries after a lost answer gets it back.
        sa.Index("ux_ticket_request_key", "branch_id", "request_key", unique=True),
    )
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    business_on: date
    prefix: str
    sequence: int
    number: str
    language: str = "ja"
    priority_id: int | None = Field(default=None, foreign_key="prioritycategory.id")
    life_event_id: int | None = Field(default=None, foreign_key="lifeevent.id")
    service_id: int | None = Field(default=None, foreign_key="service.id")
    status: TicketStatus = TicketStatus.waiting
    status_token: str = Field(unique=True, max_length=64)
    answers: dict[str, bool] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    current_stop: int | None = None
    issued_by_device_id: int | None = Field(default=None, foreign_key="device.id")
    issued_by_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    issued_at: datetime = at_column(nullable=False, index=True)
    finished_at: datetime | None = at_column()
    request_key: str | None = Field(default=None, max_length=64)
    # Issued at an appointment's check-in (server/appointments/): called before walk-ins once due.
    appointment: bool = False


class Stop(SQLModel, table=True):
    __table_args__ = (
        # Call-next reads only waiting stops: a partial index keeps it flat as history grows.
        sa.Index(
            "ix_stop_waiting_queue",
            "service_id",
            "is_priority",
            "sort_at",
            sqlite_where=sa.text("status = 'waiting'"),
            postgresql_where=sa.text("status = 'waiting'"),
        ),
        sa.UniqueConstraint("ticket_id", "position"),
        # Recent service times per service (estimates) without scanning history.
        sa.Index("ix_stop_service_completed", "service_id", "completed_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", index=True)
    position: int
    service_id: int = Field(foreign_key="service.id")
    status: StopStatus = StopStatus.pending
    is_priority: bool = False
    # Copied from the life event's step: pending stops of one group are taken in any order.
    group: str | None = Field(default=None, max_length=40)
    # Why this stop is here when it was returned (差戻し), so nobody rebuilds it from the log.
    returned_reason: str | None = Field(default=None, max_length=60)
    # The booked start of a checked-in appointment's first stop: from then on it is called before
    # walk-ins, at the share its service leaves them (server/counters/service.py).
    appointment_at: datetime | None = at_column()
    counter_id: int | None = Field(default=None, foreign_key="counter.id")
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    staff_role: Role | None = None
    recall_count: int = 0
    sort_at: datetime | None = at_column()
    waiting_since: datetime | None = at_column()
    called_at: datetime | None = at_column()
    started_at: datetime | None = at_column()
    completed_at: datetime | None = at_column()


# "This stop waits", as the partial index ix_stop_waiting_queue states it: SQLite (and a
# PostgreSQL generic plan) uses a partial index only when the query shows its condition as
# written, and checks every row against the table when the value is a bound parameter.
STOP_WAITING = sa.text("stop.status = 'waiting'")


class Staff(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    username: str = Field(unique=True, max_length=80)
    password_hash: str
    role: Role
    branch_id: str | None = Field(default=None, foreign_key="branch.id")
    active: bool = True
    created_at: datetime = at_column(nullable=False)
    # The identity provider's subject (`sub`) of an account made by single sign-on
    # (server/auth/oidc.py); such an account has no usable password. None: a local account.
    oidc_subject: str | None = Field(default=None, max_length=255, unique=True, index=True)


class StaffSession(SQLModel, table=True):
    token_hash: str = Field(primary_key=True, max_length=64)
    staff_id: int = Field(foreign_key="staff.id", index=True)
    created_at: datetime = at_column(nullable=False)
    expires_at: datetime = at_column(nullable=False)


class Device(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    name: str
    kind: DeviceKind
    token_hash: str = Field(unique=True, max_length=64)
    created_at: datetime = at_column(nullable=False)
    revoked_at: datetime | None = at_column()
    last_seen_at: datetime | None = at_column()
    health: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class Event(SQLModel, table=True):
    """Append-only log of every state change; ids strictly increase and are never reused."""

    __table_args__ = (
        # Every read of the log seeks one of these, so none reads more as the years pile up:
        # newest id and replay after an id (per branch), today's events (board, report),
        # and a counter's last open/close before a day (report).
        sa.Index("ix_event_branch_id", "branch_id", "id"),
        sa.Index("ix_event_branch_at", "branch_id", "at"),
        sa.Index("ix_event_counter_type", "counter_id", "type", "id"),
        {"sqlite_autoincrement": True},
    )
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id")
    type: str
    at: datetime = at_column(nullable=False)
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id", index=True)
    counter_id: int | None = Field(default=None, foreign_key="counter.id")
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))


class AuditEntry(SQLModel, table=True):
    """Who changed which rule, when, and what it was before and after."""

    id: int | None = Field(default=None, primary_key=True)
    branch_id: str | None = Field(default=None, foreign_key="branch.id", index=True)
    at: datetime = at_column(nullable=False)
    staff_id: int | None = Field(default=None, foreign_key="staff.id")
    username: str
    action: str
    target: str
    before: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))
    after: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON, nullable=True))


class SatisfactionResponse(SQLModel, table=True):
    """One anonymous 1–5 answer per finished visit."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    branch_id: str = Field(foreign_key="branch.id", index=True)
    business_on: date
    at: datetime = at_column(nullable=False)
    score: int
    reason: str | None = None


class OutboxStatus(StrEnum):
    pending = "pending"
    delivered = "delivered"
    dead = "dead"  # gave up after the configured attempts; the admin can send it again
    cancelled = "cancelled"


class OutboxDelivery(SQLModel, table=True):
    """One message to the outside world (an e-mail, a webhook call), written in the transaction
    that decided to send it and delivered after the commit by server/outbox's dispatcher."""

    __table_args__ = (
        # The dispatcher's read: pending rows that are due, oldest first.
        sa.Index(
            "ix_outboxdelivery_due",
            "next_attempt_at",
            sqlite_where=sa.text("status = 'pending'"),
            postgresql_where=sa.text("status = 'pending'"),
        ),
        # Order per ticket: a row waits while an earlier pending row has its ordering key.
        sa.Index("ix_outboxdelivery_ordering", "ordering_key", "id"),
    )
    id: int | None = Field(default=None, primary_key=True)
    # Stable for the row's life: a retry repeats it, so receivers can deduplicate.
    delivery_id: str = Field(unique=True, max_length=40)
    kind: str = Field(max_length=20)
    branch_id: str | None = Field(default=None, foreign_key="branch.id", index=True)
    receiver_id: int | None = Field(default=None, foreign_key="webhookreceiver.id", index=True)
    ordering_key: str | None = Field(default=None, max_length=120)
    reference: str | None = Field(default=None, max_length=200, index=True)
    # Personal data (an e-mail address): erased once sent, or after MADOGUCHI_MAIL_RETENTION_DAYS.
    recipient: str | None = Field(default=None, max_length=320)
    payload: dict[str, Any] = Field(default_factory=dict, sa_column=Column(JSON, nullable=False))
    status: OutboxStatus = OutboxStatus.pending
    created_at: datetime = at_column(nullable=False)
    next_attempt_at: datetime = at_column(nullable=False)
    attempts: int = 0
    last_error: str | None = Field(default=None, max_length=500)
    # A dispatcher that claimed the row holds it until then (another process may take it after).
    lease_until: datetime | None = at_column()
    delivered_at: datetime | None = at_column()


class WebhookReceiver(SQLModel, table=True):
    """A back-office system that gets signed visit events (server/webhooks/)."""

    id: int | None = Field(default=None, primary_key=True)
    # None: every branch (the receiver from MADOGUCHI_WEBHOOK_URL).
    branch_id: str | None = Field(default=None, foreign_key="branch.id", index=True)
    name: str = Field(max_length=80)
    url: str = Field(max_length=500)
    enabled: bool = True
    # The visit's answers to the kiosk's questions go along only when this is on (personal data).
    include_answers: bool = False
    # Which of its keys signs; the others still exist so a receiver can accept both meanwhile.
    signing_key_id: str = Field(max_length=80)
    from_settings: bool = False
    created_at: datetime = at_column(nullable=False)


class WebhookKey(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("receiver_id", "key_id"),)
    id: int | None = Field(default=None, primary_key=True)
    receiver_id: int = Field(foreign_key="webhookreceiver.id", index=True)
    key_id: str = Field(max_length=80)
    secret: str = Field(max_length=200)
    created_at: datetime = at_column(nullable=False)


class WebhookCursor(SQLModel, table=True):
    """The last event of a branch the webhook relay has turned into deliveries."""

    branch_id: str = Field(primary_key=True, foreign_key="branch.id")
    last_event_id: int = 0


class AppointmentStatus(StrEnum):
    booked = "booked"
    checked_in = "checked_in"
    cancelled = "cancelled"


class AppointmentSlot(SQLModel, table=True):
    """Places taken in one slot of a bookable service: a booking raises `booked` only while it is
    below the capacity, in one conditional UPDATE, so concurrent bookings never overbook."""

    __table_args__ = (sa.CheckConstraint("booked >= 0", name="ck_appointmentslot_booked"),)
    branch_id: str = Field(foreign_key="branch.id", primary_key=True, max_length=40)
    service_id: int = Field(foreign_key="service.id", primary_key=True)
    start_at: datetime = Field(sa_column=Column(UTCDateTime(), primary_key=True))
    booked: int = 0


class Appointment(SQLModel, table=True):
    """One booked visit (予約). No name: a code to type at the kiosk, an unguessable manage token,
    and an e-mail address only when the citizen gave one (erased after `email_erase_after`)."""

    __table_args__ = (
        sa.UniqueConstraint("branch_id", "code"),
        sa.Index("ix_appointment_branch_start", "branch_id", "start_at"),
    )
    id: int | None = Field(default=None, primary_key=True)
    branch_id: str = Field(foreign_key="branch.id", max_length=40)
    service_id: int = Field(foreign_key="service.id")
    code: str = Field(max_length=12)
    manage_token: str = Field(unique=True, max_length=64)
    start_at: datetime = at_column(nullable=False)
    end_at: datetime = at_column(nullable=False)
    status: AppointmentStatus = AppointmentStatus.booked
    language: str = Field(default="ja", max_length=10)
    # Personal data: only for this booking's mails; erased by `madoguchi retention`.
    email: str | None = Field(default=None, max_length=320)
    email_erase_after: datetime | None = at_column()
    booked_by_staff_id: int | None = Field(default=None, foreign_key="staff.id")
    created_at: datetime = at_column(nullable=False)
    cancelled_at: datetime | None = at_column()
    checked_in_at: datetime | None = at_column()
    ticket_id: int | None = Field(default=None, foreign_key="ticket.id")


class TicketNotice(SQLModel, table=True):
    """「Your turn is near」 by e-mail for one ticket (the status page's opt-in): the address its
    holder gave, kept only until the visit ends. Each stop of the route gets at most one notice
    that it is near and one that it is called (`*_stop`: the route position last told)."""

    id: int | None = Field(default=None, primary_key=True)
    ticket_id: int = Field(foreign_key="ticket.id", unique=True)
    branch_id: str = Field(foreign_key="branch.id", max_length=40, index=True)
    email: str = Field(max_length=320)
    registrations: int = 1
    created_at: datetime = at_column(nullable=False)
    near_stop: int | None = None
    called_stop: int | None = None
