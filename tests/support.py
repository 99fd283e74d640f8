"""Shared test helpers: a controllable clock, database provisioning, demo data."""

import os
import secrets
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from zoneinfo import ZoneInfo

from sqlalchemy import Engine, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from server.auth import service as auth_service
from server.catalog.loader import load_config_file
from server.catalog.schemas import CityHallConfig
from server.catalog.service import apply_config
from server.config import DEFAULT_CONFIG_PATH
from server.db import create_db_engine, normalise_url
from server.models import Device, DeviceKind, Role, Staff, StaffSession

JST = ZoneInfo("Asia/Tokyo")
BRANCH = "honcho"
PASSWORD = "correct-horse-42"
# 1 April: the busiest day of the year, at 10:00 in Tokyo.
PEAK_MORNING = datetime(2026, 4, 1, 10, 0, tzinfo=JST)

PG_URL = os.environ.get("MADOGUCHI_TEST_DATABASE_URL")


@dataclass
class FixedClock:
    """Deterministic time; tests move it forward explicitly."""

    current: datetime = field(default_factory=lambda: PEAK_MORNING.astimezone(UTC))

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current

    def set(self, moment: datetime) -> None:
        self.current = moment.astimezone(UTC)


@cache
def demo_config() -> CityHallConfig:
    return load_config_file(DEFAULT_CONFIG_PATH)


def create_database(tmp_dir: str) -> str:
    """A new, empty database: a SQLite file, or a throwaway PostgreSQL database."""
    if not PG_URL:
        return f"sqlite:///{tmp_dir}/madoguchi-test-{uuid.uuid4().hex[:8]}.db"
    name = f"madoguchi_test_{uuid.uuid4().hex[:10]}"
    admin = create_db_engine(PG_URL, isolation_level="AUTOCOMMIT", pool_size=1)
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return make_url(normalise_url(PG_URL)).set(database=name).render_as_string(hide_password=False)


def drop_database(url: str) -> None:
    if not url.startswith("postgresql"):
        return
    name = make_url(url).database
    admin = create_db_engine(PG_URL or url, isolation_level="AUTOCOMMIT", pool_size=1)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def reset_database(engine: Engine) -> None:
    """Empty every table and load the demo city hall again."""
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            names = ", ".join(f'"{t}"' for t in tables)  # our own metadata, not input
            connection.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))
    with Session(engine) as session:
        apply_config(session, demo_config())
        session.commit()


@cache
def _password_hash() -> str:
    # Hashing is deliberately slow; tests hash the shared password once.
    return auth_service.hash_password(PASSWORD)


def make_staff(engine: Engine, username: str, role: Role, now: datetime) -> Staff:
    with Session(engine, expire_on_commit=False) as session:
        staff = Staff(username=username, password_hash=_password_hash(), role=role, branch_id=BRANCH, created_at=now)
        session.add(staff)
        session.commit()
        return staff


def staff_token(engine: Engine, staff: Staff, now: datetime, hours: int = 12) -> str:
    """A sign-in token as login would give (login itself is tested in its own tests)."""
    token = secrets.token_urlsafe(32)
    assert staff.id is not None
    with Session(engine) as session:
        session.add(
            StaffSession(
                token_hash=auth_service.hash_token(token),
                staff_id=staff.id,
                created_at=now,
                expires_at=now + timedelta(hours=hours),
            )
        )
        session.commit()
    return token


def make_device(engine: Engine, kind: DeviceKind, now: datetime, *, name: str | None = None) -> tuple[str, Device]:
    with Session(engine, expire_on_commit=False) as session:
        return auth_service.create_device(session, name=name or f"test-{kind}", kind=kind, branch_id=BRANCH, now=now)
