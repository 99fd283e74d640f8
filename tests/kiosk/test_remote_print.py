"""Staff have a kiosk print a slip: real server, real kiosk agent, simulated ESC/POS printer.

The server never connects to the kiosk: the agent's long poll collects the request, fetches
the ticket's holder view, prints it through its own print path and reports back.
"""

from __future__ import annotations

from typing import Any

import httpx
import zxingcpp

from printer.simulator import PrinterSimulator
from tests.kiosk.conftest import MakeAgent
from tests.kiosk.servers import API, LiveServer, wait_until
from tests.support import BRANCH


def _issue(server: LiveServer, **body: Any) -> dict[str, Any]:
    response = httpx.post(
        f"{server.url}{API}/branches/{BRANCH}/tickets", json=body, headers=server.staff_headers, timeout=10
    )
    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()
    return ticket


def _ask_print(server: LiveServer, device_id: int, status_token: str) -> httpx.Response:
    return httpx.post(
        f"{server.url}{API}/devices/{device_id}/print",
        json={"status_token": status_token},
        headers=server.staff_headers,
        timeout=10,
    )


def _state(server: LiveServer, device_id: int, request_id: str) -> dict[str, Any]:
    response = server.get(f"/devices/{device_id}/print/{request_id}")
    assert response.status_code == 200, response.text
    state: dict[str, Any] = response.json()
    return state


def test_a_slip_asked_for_by_staff_prints_at_the_chosen_kiosk(
    make_agent: MakeAgent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    agent = make_agent(print_poll_seconds=5)
    ticket = _issue(server, life_event="death", answers={"has_children": True})

    asked = _ask_print(server, agent.device_id, ticket["status_token"])

    assert asked.status_code == 202, asked.text
    request = asked.json()
    assert request["number"] == ticket["number"]
    assert request["state"] in {"pending", "sent", "printed"}
    (job,) = simulator.wait_for_jobs(1, timeout_seconds=10)
    assert job.image is not None
    assert [code.text for code in zxingcpp.read_barcodes(job.image.convert("L"))] == [ticket["status_url"]]
    wait_until(lambda: _state(server, agent.device_id, request["id"])["state"] == "printed")
    assert agent.spooled_numbers() == []


def test_a_slip_that_cannot_print_is_spooled_and_staff_are_told(
    make_agent: MakeAgent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    agent = make_agent(print_poll_seconds=5)
    simulator.set_state("paper_out")
    ticket = _issue(server, service="certificate")

    request = _ask_print(server, agent.device_id, ticket["status_token"]).json()

    wait_until(lambda: _state(server, agent.device_id, request["id"])["state"] == "failed")
    assert _state(server, agent.device_id, request["id"])["error"] == "paper_out"
    assert agent.spooled_numbers() == [ticket["number"]]


def test_each_request_prints_once_even_with_two_agents_polling(
    make_agent: MakeAgent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    agent = make_agent(print_poll_seconds=5)
    # A second agent with the same kiosk token (a restarted agent whose old one lingers).
    make_agent(print_poll_seconds=5, token=agent.settings.token)
    ticket = _issue(server, service="certificate")

    request = _ask_print(server, agent.device_id, ticket["status_token"]).json()

    wait_until(lambda: _state(server, agent.device_id, request["id"])["state"] == "printed")
    simulator.wait_for_jobs(1, timeout_seconds=5)
    assert len(simulator.printed_jobs) == 1


def test_refusals(server: LiveServer) -> None:
    token, silent_kiosk = server.new_kiosk()
    ticket = _issue(server, service="certificate")

    assert _ask_print(server, silent_kiosk, "not-a-status-token").status_code == 404
    assert _ask_print(server, 2**31 - 1, ticket["status_token"]).json()["code"] == "device_not_found"
    no_staff = httpx.post(
        f"{server.url}{API}/devices/{silent_kiosk}/print", json={"status_token": ticket["status_token"]}, timeout=10
    )
    assert no_staff.status_code == 401
    as_kiosk = httpx.post(
        f"{server.url}{API}/devices/{silent_kiosk}/print",
        json={"status_token": ticket["status_token"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert as_kiosk.status_code == 401
    # A kiosk whose agent does not collect: a few requests wait, then staff are told.
    for _ in range(5):
        assert _ask_print(server, silent_kiosk, ticket["status_token"]).status_code == 202
    refused = _ask_print(server, silent_kiosk, ticket["status_token"])
    assert (refused.status_code, refused.json()["code"]) == (409, "kiosk_not_collecting")
    # The waiting requests are handed out once, to the kiosk itself.
    collected = httpx.get(
        f"{server.url}{API}/devices/print-requests", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert collected.status_code == 200
    assert len(collected.json()) == 5
    assert set(collected.json()[0]) == {"id", "status_token", "requested_at"}
    again = httpx.get(
        f"{server.url}{API}/devices/print-requests", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert again.json() == []
    # Staff tokens cannot collect a kiosk's prints.
    assert server.get("/devices/print-requests").status_code == 401
