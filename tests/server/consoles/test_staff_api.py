"""The staff console's API: waiting list in call order, the counter desk, returns (差戻し) with a
reason code, priority categories and reason codes, and what a contractor may see and do."""

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session, col, select

from server.models import Event, Stop
from tests.server.api import API, act, counter_ids, issue
from tests.support import BRANCH, FixedClock

Headers = dict[str, str]


def waiting(client: TestClient, headers: Headers, counter: int) -> list[dict[str, Any]]:
    response = client.get(f"{API}/counters/{counter}/waiting", headers=headers)
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()
    return items


def desk(client: TestClient, headers: Headers, counter: int) -> dict[str, Any]:
    response = client.get(f"{API}/counters/{counter}", headers=headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def transferred_events(engine: Engine) -> list[Event]:
    with Session(engine) as session:
        return list(session.exec(select(Event).where(Event.type == "ticket.transferred").order_by(col(Event.id))).all())


# --- waiting list -----------------------------------------------------------------------------


def test_waiting_list_is_the_order_call_next_will_follow(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers, clock: FixedClock
) -> None:
    normal = []
    for _ in range(3):
        normal.append(issue(client, kiosk, service="certificate")["number"])
        clock.advance(minutes=1)
    priority = []
    for _ in range(2):
        priority.append(issue(client, auth["shokuin"], service="certificate", priority="pregnant")["number"])
        clock.advance(minutes=1)
    counter = counter_ids(client)["7"]

    listed = waiting(client, auth["shokuin"], counter)

    # A counter that opens owes normal tickets nothing, so priority first; then two normal calls
    # (anti-starvation, min_normal_between: 2) before the next priority ticket.
    expected = [priority[0], normal[0], normal[1], priority[1], normal[2]]
    assert [item["number"] for item in listed] == expected
    assert [item["priority"] for item in listed] == [True, False, False, True, False]
    assert listed[1]["waited_minutes"] == 5  # the first normal ticket was issued five minutes ago
    assert listed[0]["label"] == "証明書"
    assert listed[0]["returned_reason"] is None
    act(client, auth["shokuin"], counter, "open")
    called = [act(client, auth["shokuin"], counter, "call-next")["ticket"]["number"]]
    for _ in range(4):
        act(client, auth["shokuin"], counter, "complete")
        assert [item["number"] for item in waiting(client, auth["shokuin"], counter)] == expected[len(called) :]
        called.append(act(client, auth["shokuin"], counter, "call-next")["ticket"]["number"])
    assert called == expected


def test_waiting_list_of_an_open_counter_continues_its_anti_starvation_count(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers, clock: FixedClock
) -> None:
    counter = counter_ids(client)["7"]
    first = issue(client, auth["shokuin"], service="certificate", priority="infant")["number"]
    clock.advance(minutes=1)
    act(client, auth["shokuin"], counter, "open")
    assert act(client, auth["shokuin"], counter, "call-next")["ticket"]["number"] == first
    act(client, auth["shokuin"], counter, "complete")
    normal = issue(client, kiosk, service="certificate")["number"]
    urgent = issue(client, auth["shokuin"], service="certificate", priority="infant")["number"]
    # Just called a priority ticket: a waiting normal ticket goes first now.
    assert [item["number"] for item in waiting(client, auth["shokuin"], counter)] == [normal, urgent]


def test_waiting_list_shows_only_what_this_staff_member_may_take(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers
) -> None:
    reserved = issue(client, kiosk, service="pension_death")["number"]  # staff_only: municipal decision
    open_to_all = issue(client, kiosk, service="nhi_enroll")["number"]
    counter = counter_ids(client)["10"]

    assert {item["number"] for item in waiting(client, auth["shokuin"], counter)} == {reserved, open_to_all}
    contractor_view = waiting(client, auth["itaku"], counter)
    assert [item["number"] for item in contractor_view] == [open_to_all]
    # Sensitive procedures keep their neutral label here too.
    assert next(i for i in waiting(client, auth["shokuin"], counter) if i["number"] == reserved)["label"] == "届出"
    act(client, auth["itaku"], counter, "open")
    assert act(client, auth["itaku"], counter, "call-next")["ticket"]["number"] == open_to_all
    act(client, auth["itaku"], counter, "complete")
    assert client.post(f"{API}/counters/{counter}/call-next", headers=auth["itaku"]).status_code == 204


def test_waiting_list_of_a_back_office_desk_lists_work_items(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers
) -> None:
    ids = counter_ids(client)
    ticket = issue(client, kiosk, life_event="move_in", answers={})
    act(client, auth["itaku"], ids["1"], "open")
    act(client, auth["itaku"], ids["1"], "call-next")
    act(client, auth["itaku"], ids["1"], "complete")

    items = waiting(client, auth["shokuin"], ids["R1"])
    assert [(i["number"], i["service"], i["citizen_present"]) for i in items] == [
        (ticket["number"], "civil_review", False)
    ]
    assert waiting(client, auth["shokuin"], ids["B1"]) == []
    # The contractor team cannot take review work: its desk list stays empty for them.
    assert waiting(client, auth["itaku"], ids["R1"]) == []


def test_waiting_list_and_desk_need_a_signed_in_staff_member(client: TestClient, auth: dict[str, Headers]) -> None:
    counter = counter_ids(client)["7"]
    for path in (f"{API}/counters/{counter}/waiting", f"{API}/counters/{counter}"):
        assert client.get(path).status_code == 401
        assert client.get(path, headers={"Authorization": "Bearer made-up"}).status_code == 401
    missing = client.get(f"{API}/counters/999999/waiting", headers=auth["shokuin"])
    assert missing.status_code == 404
    assert missing.json()["code"] == "counter_not_found"


# --- counter desk -----------------------------------------------------------------------------


def test_desk_shows_the_ticket_in_hand_with_its_whole_route_and_whose_counter_it_is(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers
) -> None:
    ids = counter_ids(client)
    counter = ids["1"]
    before = desk(client, auth["itaku"], counter)
    assert (before["state"], before["mine"], before["ticket"], before["public"]) == ("closed", False, None, True)

    ticket = issue(client, kiosk, life_event="move_in", answers={"wants_seal_registration": True})
    act(client, auth["itaku"], counter, "open")
    act(client, auth["itaku"], counter, "call-next")

    mine = desk(client, auth["itaku"], counter)
    assert mine["mine"] is True
    assert mine["ticket"]["number"] == ticket["number"]
    assert [(s["service"], s["status"]) for s in mine["ticket"]["stops"]] == [
        ("moving_in", "called"),
        ("seal_registration", "pending"),
        ("civil_review", "pending"),
        ("civil_entry", "pending"),
        ("pickup", "pending"),
    ]
    assert desk(client, auth["shokuin"], counter)["mine"] is False
    assert desk(client, auth["shokuin"], ids["R1"])["public"] is False


# --- returns (差戻し) -----------------------------------------------------------------------


def _at_review_desk(client: TestClient, auth: dict[str, Headers], kiosk: Headers) -> tuple[dict[str, int], str]:
    """A move-in ticket taken in at counter 1 and now in hand at the review desk R1."""
    ids = counter_ids(client)
    number = issue(client, kiosk, life_event="move_in", answers={})["number"]
    act(client, auth["itaku"], ids["1"], "open")
    act(client, auth["itaku"], ids["1"], "call-next")
    act(client, auth["itaku"], ids["1"], "complete")
    act(client, auth["shokuin"], ids["R1"], "open")
    assert act(client, auth["shokuin"], ids["R1"], "call-next")["ticket"]["number"] == number
    return ids, number


def test_return_with_a_reason_sends_the_item_back_to_the_front_queue_and_it_comes_back_for_review(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers, engine: Engine
) -> None:
    ids, number = _at_review_desk(client, auth, kiosk)

    returned = act(client, auth["shokuin"], ids["R1"], "transfer", service="moving_in", reason="missing_document")[
        "ticket"
    ]

    assert returned["status"] == "waiting"  # the citizen is called again at the front
    current = returned["stops"][returned["current_stop"]]
    assert (current["service"], current["status"], current["counter"]) == ("moving_in", "waiting", "1–5")
    assert [(s["service"], s["status"]) for s in returned["stops"]] == [
        ("moving_in", "done"),
        ("moving_in", "waiting"),
        ("civil_review", "pending"),  # it comes back for review once the front has fixed it
        ("civil_entry", "pending"),
        ("pickup", "pending"),
    ]
    (event,) = transferred_events(engine)
    assert event.payload["reason"] == "missing_document"
    assert event.payload["to_stage"] == "front"
    assert event.payload["ticket"]["number"] == number
    assert desk(client, auth["shokuin"], ids["R1"])["ticket"] is None

    # The contractor team sees why it came back, in its queue and once it is in hand.
    front = waiting(client, auth["itaku"], ids["1"])
    assert [(i["number"], i["returned_reason"]) for i in front] == [(number, "missing_document")]
    act(client, auth["itaku"], ids["1"], "call-next")
    assert desk(client, auth["itaku"], ids["1"])["returned_reason"] == "missing_document"
    act(client, auth["itaku"], ids["1"], "complete")
    assert [(i["number"], i["returned_reason"]) for i in waiting(client, auth["shokuin"], ids["R1"])] == [
        (number, None)
    ]


def test_a_return_with_an_unknown_reason_is_refused_and_changes_nothing(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers, engine: Engine
) -> None:
    ids, number = _at_review_desk(client, auth, kiosk)
    with Session(engine) as session:
        stops_before = [(s.position, s.service_id, s.status) for s in session.exec(select(Stop).order_by(col(Stop.id)))]

    refused = act(client, auth["shokuin"], ids["R1"], "transfer", expected=422, service="moving_in", reason="typo")

    assert refused["code"] == "unknown_reason"
    assert "'typo'" in refused["detail"]
    assert "missing_document" in refused["detail"]  # says which codes exist
    assert transferred_events(engine) == []
    with Session(engine) as session:
        assert [(s.position, s.service_id, s.status) for s in session.exec(select(Stop).order_by(col(Stop.id)))] == (
            stops_before
        )
    in_hand = desk(client, auth["shokuin"], ids["R1"])["ticket"]
    assert in_hand["number"] == number
    # A desk takes back-office work: in hand and being worked, never called.
    assert in_hand["stops"][in_hand["current_stop"]]["status"] == "serving"
    assert in_hand["status"] == "processing"


def test_a_return_goes_to_a_front_service_only(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers, engine: Engine
) -> None:
    ids, _ = _at_review_desk(client, auth, kiosk)
    refused = act(
        client, auth["shokuin"], ids["R1"], "transfer", expected=422, service="staff_explanation", reason="other"
    )
    assert refused["code"] == "return_not_to_front"
    assert transferred_events(engine) == []
    # Without a reason it is an ordinary hand-off, to any service.
    act(client, auth["shokuin"], ids["R1"], "transfer", service="staff_explanation")
    assert transferred_events(engine)[0].payload["reason"] is None


def test_the_contractor_data_entry_desk_may_return_work_too(
    client: TestClient, auth: dict[str, Headers], kiosk: Headers, engine: Engine
) -> None:
    ids, number = _at_review_desk(client, auth, kiosk)
    act(client, auth["shokuin"], ids["R1"], "complete")
    act(client, auth["itaku"], ids["B1"], "open")
    assert act(client, auth["itaku"], ids["B1"], "call-next")["ticket"]["number"] == number

    returned = act(client, auth["itaku"], ids["B1"], "transfer", service="moving_in", reason="entry_error")["ticket"]

    assert [s["service"] for s in returned["stops"]] == [
        "moving_in",
        "civil_review",
        "moving_in",
        "civil_entry",
        "pickup",
    ]
    (event,) = transferred_events(engine)
    assert (event.payload["reason"], event.payload["by_role"]) == ("entry_error", "contractor")


# --- catalog reads for the consoles --------------------------------------------------------------


def test_priority_categories_are_listed_by_rank_for_staff(client: TestClient, auth: dict[str, Headers]) -> None:
    path = f"{API}/branches/{BRANCH}/priority-categories"
    assert client.get(path).status_code == 401
    categories = client.get(path, headers=auth["itaku"]).json()
    assert [c["id"] for c in categories] == ["disability", "pregnant", "elderly_frail", "infant", "unwell"]
    assert categories[0] == {
        "id": "disability",
        "name": "障がいのある方",
        "name_en": "Persons with disabilities",
        "rank": 1,
    }
    assert client.get(f"{API}/branches/nowhere/priority-categories", headers=auth["itaku"]).status_code == 404


def test_reason_codes_come_from_the_configuration(client: TestClient, auth: dict[str, Headers]) -> None:
    path = f"{API}/branches/{BRANCH}/reason-codes"
    assert client.get(path).status_code == 401
    codes = client.get(path, headers=auth["shokuin"]).json()
    assert [c["id"] for c in codes] == [
        "missing_document",
        "entry_error",
        "needs_confirmation",
        "form_incomplete",
        "other",
    ]
    assert codes[0] == {"id": "missing_document", "name": "書類不足", "name_en": "Missing document"}


# --- pages ------------------------------------------------------------------------------------


def test_console_pages_are_served_with_a_strict_content_security_policy(client: TestClient) -> None:
    for path, script in (("/staff", "staff/staff.js"), ("/concierge", "concierge/concierge.js")):
        page = client.get(path)
        assert page.status_code == 200
        assert page.headers["content-type"].startswith("text/html")
        assert f"/consoles/static/{script}" in page.text
        policy = page.headers["content-security-policy"]
        assert "script-src 'self'" in policy
        assert "frame-ancestors 'none'" in policy
        assert page.headers["referrer-policy"] == "no-referrer"
        asset = client.get(f"/consoles/static/{script}")
        assert asset.status_code == 200
        assert "javascript" in asset.headers["content-type"]
    for shared in ("api.js", "live.js", "ui.js", "console.css"):
        assert client.get(f"/consoles/static/common/{shared}").status_code == 200
    assert client.get("/consoles/static/../main.py").status_code == 404
