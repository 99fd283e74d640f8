"""The visit at the counter: look a ticket up by number, change the rest of its route, bring back
a citizen marked absent, and the recall limit. A refused change changes nothing."""

from concurrent.futures import ThreadPoolExecutor
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.db import write_session
from server.errors import DomainError
from server.models import AuditEntry, Event, Service, Staff, Stop, Ticket
from server.tickets import visit
from tests.server.api import API, act, counter_ids, issue
from tests.support import BRANCH, FixedClock

TICKETS = f"{API}/branches/{BRANCH}/tickets"


def route_of(engine: Engine, number: str) -> list[tuple[int, str, str]]:
    """(position, service, status) of every stop, from the database."""
    with Session(engine) as session:
        ticket = session.exec(select(Ticket).where(Ticket.number == number)).one()
        rows = session.exec(select(Stop).where(Stop.ticket_id == ticket.id).order_by(col(Stop.position))).all()
        keys = {service.id: service.key for service in session.exec(select(Service)).all()}
        return [(stop.position, keys[stop.service_id], str(stop.status)) for stop in rows]


def events_of(engine: Engine, type: str) -> list[dict[str, Any]]:
    with Session(engine) as session:
        return [event.payload for event in session.exec(select(Event).where(Event.type == type)).all()]


def test_staff_look_a_ticket_up_by_its_number(client: TestClient, kiosk: dict[str, str], auth: Any) -> None:
    ticket = issue(client, kiosk, service="certificate")
    found = client.get(f"{TICKETS}/{ticket['number']}", headers=auth["itaku"])
    assert found.status_code == 200, found.text
    assert found.json()["status_token"] == ticket["status_token"]
    assert found.json()["visits"][0]["counters"] == ticket["visits"][0]["counters"]
    missing = client.get(f"{TICKETS}/C999", headers=auth["itaku"])
    assert (missing.status_code, missing.json()["code"]) == (404, "ticket_not_found")
    assert "C999" in missing.json()["detail"]
    # Not for kiosks or anonymous callers: the lookup shows the whole route.
    assert client.get(f"{TICKETS}/{ticket['number']}", headers=kiosk).status_code in (401, 403)
    assert client.get(f"{TICKETS}/{ticket['number']}").status_code == 401


def test_add_the_forgotten_procedure_and_drop_one(
    client: TestClient, kiosk: dict[str, str], auth: Any, engine: Engine
) -> None:
    answers = {"has_children": True, "national_health_insurance": False}
    ticket = issue(client, kiosk, life_event="household_change", answers=answers)
    assert [stop["service"] for stop in ticket["stops"]] == [
        "household_change",
        "civil_review",
        "civil_entry",
        "child_allowance",
    ]
    body = {
        "stops": [
            {"service": "household_change"},
            {"service": "civil_review"},
            {"service": "civil_entry"},
            {"service": "certificate"},
        ],
        "reason": "住民票の写しも必要",
    }
    response = client.put(f"{TICKETS}/{ticket['number']}/route", json=body, headers=auth["shokuin"])
    assert response.status_code == 200, response.text
    changed = response.json()
    assert [stop["service"] for stop in changed["stops"]] == [stop["service"] for stop in body["stops"]]
    assert changed["status"] == "waiting"
    assert changed["stops"][0]["status"] == "waiting"
    assert route_of(engine, ticket["number"])[-1] == (3, "certificate", "pending")
    # The citizen's status page shows the new route at once.
    holder = client.get(f"{API}/tickets/{ticket['status_token']}").json()
    assert holder["visits"][-1]["labels"] == ["証明書(住民票・戸籍・印鑑・税)"]
    (event,) = events_of(engine, "ticket.rerouted")
    assert event["ticket"]["number"] == ticket["number"]
    with Session(engine) as session:
        entry = session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.reroute")).one()
    assert entry.username == "shokuin"
    assert entry.before == {"stops": ["household_change", "civil_review", "civil_entry", "child_allowance"]}
    assert entry.after is not None
    assert entry.after["reason"] == "住民票の写しも必要"


def test_a_stop_in_hand_stays_when_the_rest_is_reordered(
    client: TestClient, kiosk: dict[str, str], auth: Any, engine: Engine
) -> None:
    ticket = issue(
        client, kiosk, life_event="household_change", answers={"has_children": True, "national_health_insurance": True}
    )
    counter = counter_ids(client)["1"]
    act(client, auth["shokuin"], counter, "open")
    act(client, auth["shokuin"], counter, "call-next")
    body = {"stops": [{"service": "child_allowance"}, {"service": "nhi_change"}], "reason": "順番を入れ替え"}
    response = client.put(f"{TICKETS}/{ticket['number']}/route", json=body, headers=auth["shokuin"])
    assert response.status_code == 200, response.text
    assert route_of(engine, ticket["number"]) == [
        (0, "household_change", "called"),
        (1, "child_allowance", "pending"),
        (2, "nhi_change", "pending"),
    ]
    assert response.json()["current_stop"] == 0
    assert response.json()["status"] == "called"
    # Completing the window's stop goes on along the new route.
    done = act(client, auth["shokuin"], counter, "complete")["ticket"]
    assert done["stops"][1]["service"] == "child_allowance"
    assert done["stops"][1]["status"] == "waiting"


def test_a_refused_reroute_changes_nothing(
    client: TestClient, kiosk: dict[str, str], auth: Any, engine: Engine
) -> None:
    ticket = issue(
        client, kiosk, life_event="household_change", answers={"has_children": True, "national_health_insurance": True}
    )
    before = route_of(engine, ticket["number"])
    url = f"{TICKETS}/{ticket['number']}/route"
    cases = [
        ({"stops": [{"service": "no_such_thing"}], "reason": "x"}, 404, "service_not_found"),
        ({"stops": [{"service": "certificate"}, {"service": "certificate"}], "reason": "x"}, 422, "duplicate_service"),
    ]
    for body, status, code in cases:
        response = client.put(url, json=body, headers=auth["shokuin"])
        assert (response.status_code, response.json()["code"]) == (status, code), response.text
    # A reason is required: the change is audited.
    assert client.put(url, json={"stops": []}, headers=auth["shokuin"]).status_code == 422
    assert client.put(url, json={"stops": [], "reason": "   "}, headers=auth["shokuin"]).status_code == 422
    assert route_of(engine, ticket["number"]) == before
    assert events_of(engine, "ticket.rerouted") == []


def test_a_finished_ticket_keeps_its_route(client: TestClient, kiosk: dict[str, str], auth: Any) -> None:
    ticket = issue(client, kiosk, service="certificate")
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    act(client, auth["shokuin"], counter, "call-next")
    act(client, auth["shokuin"], counter, "complete")
    body = {"stops": [{"service": "certificate"}], "reason": "もう一通"}
    response = client.put(f"{TICKETS}/{ticket['number']}/route", json=body, headers=auth["shokuin"])
    assert (response.status_code, response.json()["code"]) == (409, "ticket_finished")


def test_removing_every_remaining_stop_ends_the_visit(client: TestClient, kiosk: dict[str, str], auth: Any) -> None:
    ticket = issue(client, kiosk, service="certificate")
    body = {"stops": [], "reason": "ご本人が不要と判断"}
    response = client.put(f"{TICKETS}/{ticket['number']}/route", json=body, headers=auth["shokuin"])
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "done"


def test_a_citizen_marked_absent_is_reinstated_with_their_arrival_time(
    client: TestClient, kiosk: dict[str, str], auth: Any, engine: Engine, clock: FixedClock
) -> None:
    first = issue(
        client, kiosk, life_event="household_change", answers={"has_children": True, "national_health_insurance": False}
    )
    clock.advance(minutes=5)
    later = issue(client, kiosk, service="household_change")
    counter = counter_ids(client)["1"]
    staff = auth["shokuin"]
    act(client, staff, counter, "open")
    assert act(client, staff, counter, "call-next")["ticket"]["number"] == first["number"]
    parked = act(client, staff, counter, "no-show")["ticket"]
    assert parked["status"] == "no_show"
    assert [stop["status"] for stop in parked["stops"]] == ["no_show", "pending", "pending", "pending"]
    assert parked["visits"][0]["status"] == "missed"

    not_absent = client.post(f"{TICKETS}/{later['number']}/reinstate", headers=staff)
    assert (not_absent.status_code, not_absent.json()["code"]) == (409, "not_no_show")

    clock.advance(minutes=10)
    back = client.post(f"{TICKETS}/{first['number']}/reinstate", headers=staff)
    assert back.status_code == 200, back.text
    assert back.json()["status"] == "waiting"
    assert back.json()["stops"][0]["status"] == "waiting"
    # Its original arrival: it is called before the ticket issued five minutes after it.
    assert act(client, staff, counter, "call-next")["ticket"]["number"] == first["number"]
    act(client, staff, counter, "complete")
    assert events_of(engine, "ticket.reinstated")[0]["ticket"]["number"] == first["number"]
    with Session(engine) as session:
        assert session.exec(select(AuditEntry).where(AuditEntry.action == "ticket.reinstate")).one()


def test_the_recall_limit_from_the_configuration_is_applied(
    client: TestClient, kiosk: dict[str, str], auth: Any, engine: Engine
) -> None:
    issue(client, kiosk, service="certificate")
    counter = counter_ids(client)["7"]
    staff = auth["shokuin"]
    act(client, staff, counter, "open")
    act(client, staff, counter, "call-next")
    act(client, staff, counter, "recall")
    act(client, staff, counter, "recall")  # demo: max_recalls 2
    refused = act(client, staff, counter, "recall", expected=409)
    assert refused["code"] == "recall_limit"
    assert "不在" in refused["detail"]
    assert len(events_of(engine, "ticket.recalled")) == 2
    assert act(client, staff, counter, "no-show")["ticket"]["status"] == "no_show"


def test_two_staff_rerouting_at_once_leave_one_consistent_route(
    client: TestClient, kiosk: dict[str, str], engine: Engine, staff_users: dict[str, Staff], clock: FixedClock
) -> None:
    ticket = issue(
        client, kiosk, life_event="household_change", answers={"has_children": True, "national_health_insurance": True}
    )
    routes = [["certificate", "nhi_change"], ["child_allowance"], ["moped", "certificate", "pension"], []]

    def change(index: int) -> str:
        with write_session(engine) as session:
            try:
                visit.reroute(
                    session,
                    branch_id=BRANCH,
                    number=ticket["number"],
                    services=routes[index % len(routes)],
                    reason=f"change {index}",
                    staff=staff_users["shokuin"],
                    now=clock(),
                )
            except DomainError as refused:
                return refused.code
            return "ok"

    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(change, range(8)))
    # Every change succeeds in turn until one empties the route; later ones find it finished.
    assert set(results) <= {"ok", "ticket_finished"}
    stops = route_of(engine, ticket["number"])
    assert [position for position, _, _ in stops] == list(range(len(stops)))
    remaining = [service for _, service, status in stops if status in ("waiting", "pending")]
    assert remaining in routes
    assert [status for _, _, status in stops].count("waiting") == (1 if remaining else 0)
