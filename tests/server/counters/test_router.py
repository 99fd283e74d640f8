"""Counter endpoints: status codes and messages a person can act on."""

from typing import Any

from fastapi.testclient import TestClient

from tests.server.api import API, act, counter_ids, issue


def test_call_next_is_204_when_nothing_waits(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    response = client.post(f"{API}/counters/{counter}/call-next", headers=auth["shokuin"])
    assert response.status_code == 204
    assert response.content == b""


def test_calling_at_a_closed_counter_is_a_409_that_says_what_to_do(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    counter = counter_ids(client)["7"]
    response = client.post(f"{API}/counters/{counter}/call-next", headers=auth["shokuin"])
    assert response.status_code == 409
    assert response.json() == {"detail": "Counter 7 is closed. Open it first.", "code": "counter_closed"}


def test_completing_with_nothing_called_is_a_409(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    body = act(client, auth["shokuin"], counter, "complete", expected=409)
    assert body["code"] == "nothing_called"
    assert "call one first" in body["detail"]


def test_unknown_counter_and_bad_transfer_target(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    assert act(client, auth["shokuin"], 999_999, "open", expected=404)["code"] == "counter_not_found"
    assert client.post(f"{API}/counters/abc/open", headers=auth["shokuin"]).status_code == 422
    issue(client, kiosk, service="certificate")
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    act(client, auth["shokuin"], counter, "call-next")
    assert (
        act(client, auth["shokuin"], counter, "transfer", expected=404, service="nope")["code"] == "service_not_found"
    )
    assert act(client, auth["shokuin"], counter, "transfer", expected=422)["code"] == "validation_error"
    moved = act(client, auth["shokuin"], counter, "transfer", service="staff_explanation")["ticket"]
    assert moved["stops"][0]["service"] == "staff_explanation"
    assert moved["status"] == "waiting"


def test_contractor_gets_a_403_for_a_staff_only_desk(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    body = act(client, auth["itaku"], counter_ids(client)["R1"], "open", expected=403)
    assert body["code"] == "staff_only_counter"


def test_counters_list_shows_who_is_in_hand(
    client: TestClient, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    ticket = issue(client, kiosk, service="certificate")
    counter = counter_ids(client)["7"]
    act(client, auth["shokuin"], counter, "open")
    act(client, auth["shokuin"], counter, "call-next")
    listed: dict[str, Any] = {c["name"]: c for c in client.get(f"{API}/branches/honcho/counters").json()}
    assert listed["7"]["state"] == "open"
    assert listed["7"]["current_ticket"] == ticket["number"]
    assert listed["R1"]["public"] is False
