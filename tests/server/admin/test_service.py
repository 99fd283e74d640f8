"""Admin rule changes at the service level: concurrent saves, problem wording, the page itself."""

import threading
from typing import Any

import pytest
from fastapi import Request
from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.admin import service
from server.catalog.loader import ConfigError, Problem
from server.catalog.schemas import CityHallConfig
from server.config import Settings
from server.db import HOLDS_WRITE_LOCK, is_sqlite, write_session, writer
from server.deps import request_session
from server.main import create_app
from server.models import Branch, Service, Staff
from tests.support import BRANCH, FixedClock

ROUNDS = 6


def test_two_admins_saving_at_once_never_undo_each_other(engine: Engine, clock: FixedClock, staff_users: Any) -> None:
    """Each save edits a fresh export: without the branch lock, a save that exported before the
    other committed would write the other's service back to its old value."""
    with Session(engine) as session:
        admin = session.exec(select(Staff).where(Staff.username == "admin")).one()
    start = threading.Barrier(2)
    failures: list[BaseException] = []

    def edit(key: str) -> None:
        try:
            start.wait()
            for round_number in range(1, ROUNDS + 1):
                with write_session(engine) as session:
                    service.update_item(
                        session,
                        branch_id=BRANCH,
                        section=service.SERVICES,
                        key=key,
                        changes={"minutes": float(round_number)},
                        staff=admin,
                        now=clock(),
                    )
        except BaseException as error:  # reported by the main thread
            failures.append(error)

    threads = [threading.Thread(target=edit, args=(key,)) for key in ("certificate", "pickup")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert failures == []
    with Session(engine) as session:
        rows = session.exec(select(Service).where(col(Service.key).in_(["certificate", "pickup"]))).all()
        minutes = {row.key: row.typical_minutes for row in rows}
    assert minutes == {"certificate": ROUNDS, "pickup": ROUNDS}


@pytest.mark.parametrize("kind", ["request", "plain"])
def test_a_save_prepares_without_the_write_lock_and_redoes_an_edit_overtaken_meanwhile(
    kind: str, engine: Engine, settings: Settings, clock: FixedClock, staff_users: Any
) -> None:
    """Reading and checking the rules takes tens of milliseconds, during which the lobby must go
    on writing: here another save commits in the middle of the first one's edit (it could not if
    the first held the write lock). The first save finds the rules changed and makes its edit
    again on the new rules, this time under the lock; both changes stand. With a request's
    session (which reads after a rollback) and with a plain write session."""
    with Session(engine) as session:
        admin = session.exec(select(Staff).where(Staff.username == "admin")).one()
        version_before = session.exec(select(Branch.catalog_version).where(Branch.id == BRANCH)).one()
    app = create_app(settings, engine=engine, clock=clock)
    saving = (
        request_session(Request({"type": "http", "app": app}), write=True)
        if kind == "request"
        else write_session(engine)
    )
    binds: list[Any] = []

    def edit(config: CityHallConfig) -> service.Change:
        binds.append(session.get_bind())
        if is_sqlite(engine):
            assert (HOLDS_WRITE_LOCK in session.connection().info) == (len(binds) == 2)
        if len(binds) == 1:
            with write_session(engine) as other:
                service.update_item(
                    other,
                    branch_id=BRANCH,
                    section=service.SERVICES,
                    key="pickup",
                    changes={"minutes": 9.0},
                    staff=admin,
                    now=clock(),
                )
        certificate = next(item for item in config.services if item.id == "certificate")
        certificate.minutes = 7.0
        return service.Change("service.update", "service:certificate", None, None)

    with saving as session:
        saved = service.save_rules(session, branch_id=BRANCH, staff=admin, now=clock(), edit=edit)
    assert binds == [engine, writer(engine)]  # read first; the second edit under the lock
    assert {item.id: item.minutes for item in saved.services if item.id in ("certificate", "pickup")} == {
        "certificate": 7.0,
        "pickup": 9.0,
    }
    with Session(engine) as session:
        rows = session.exec(select(Service).where(col(Service.key).in_(["certificate", "pickup"]))).all()
        assert {row.key: row.typical_minutes for row in rows} == {"certificate": 7.0, "pickup": 9.0}
        version_after = session.exec(select(Branch.catalog_version).where(Branch.id == BRANCH)).one()
    assert version_after == version_before + 2


def test_problems_name_items_by_id_and_keep_line_numbers() -> None:
    data = {"services": [{"id": "moving_in"}], "life_events": [{"id": "birth", "stops": []}]}
    error = ConfigError(
        [
            Problem(
                ("services", 0, "issue_cutoff"), "issue cut-off 08:00 must be after opening 08:30 and by closing 17:15"
            ),
            Problem(("life_events", 0, "stops", 2, "service"), "unknown service 'x' in the route"),
            Problem(("hours", "close"), "closing time 08:00 is not after opening 08:30"),
            Problem(("services", 7), "index past the end of the data is shown as a number"),
        ],
        lines={("services", 0, "issue_cutoff"): 12},
    )
    assert service.describe_problems(error, data).splitlines() == [
        "The change was refused; nothing was changed.",
        "line 12: service 'moving_in' › issue_cutoff: "
        "issue cut-off 08:00 must be after opening 08:30 and by closing 17:15",
        "life event 'birth' › stops › #3 › service: unknown service 'x' in the route",
        "hours › close: closing time 08:00 is not after opening 08:30",
        "services › #8: index past the end of the data is shown as a number",
    ]


def test_the_admin_page_is_served_with_its_security_headers(client: TestClient) -> None:
    response = client.get("/admin")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    assert "script-src 'self'" in response.headers["content-security-policy"]
    assert "/consoles/static/admin/admin.js" in response.text
    assert 'href="/admin/reports"' in response.text
    script = client.get("/consoles/static/admin/admin.js")
    assert script.status_code == 200
    assert 'from "../common/api.js"' in script.text
