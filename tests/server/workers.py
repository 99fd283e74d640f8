"""Functions run in separate OS processes by the concurrency tests (importable for spawn)."""

from concurrent.futures import ThreadPoolExecutor
from datetime import datetime

from sqlmodel import Session, select

from server.counters import service as counters
from server.db import create_db_engine, write_session
from server.models import Staff
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from tests.support import BRANCH


def issue_many(url: str, username: str, services: list[str], now: datetime, threads: int) -> list[str]:
    engine = create_db_engine(url, pool_size=threads) if url.startswith("postgresql") else create_db_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        staff = session.exec(select(Staff).where(Staff.username == username)).one()

    def one(service: str) -> str:
        with write_session(engine) as session:
            return issue_ticket(
                session, branch_id=BRANCH, request=TicketCreate(service=service), issuer=staff, now=now
            ).number

    with ThreadPoolExecutor(max_workers=threads) as pool:
        numbers = list(pool.map(one, services))
    engine.dispose()
    return numbers


def drain_counter(url: str, username: str, counter_id: int, now: datetime) -> list[int]:
    """Call and complete at one counter until nothing is left; return the ticket ids called."""
    engine = create_db_engine(url, pool_size=2) if url.startswith("postgresql") else create_db_engine(url)
    with Session(engine, expire_on_commit=False) as session:
        staff = session.exec(select(Staff).where(Staff.username == username)).one()
    called: list[int] = []
    while True:
        with write_session(engine) as session:
            ticket = counters.call_next(session, counter_id=counter_id, staff=staff, now=now)
        if ticket is None:
            break
        assert ticket.id is not None
        called.append(ticket.id)
        with write_session(engine) as session:
            counters.complete_stop(session, counter_id=counter_id, staff=staff, now=now)
    engine.dispose()
    return called
