"""Issue through the real server and print on the simulated printer: nothing is ever lost."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import zxingcpp
from sqlmodel import Session, select

from printer.simulator import PrinterSimulator
from server.models import Role, Ticket
from tests.kiosk.conftest import Agent, MakeAgent
from tests.kiosk.lossy_proxy import LossyProxy
from tests.kiosk.servers import LiveServer, free_port, wait_until
from tests.support import BRANCH, make_staff, staff_token

MOVE_IN = {"life_event": "move_in", "answers": {"has_children": True, "over_75": False}}


def qr_texts(simulator: PrinterSimulator) -> list[str]:
    return [
        barcode.text
        for job in simulator.printed_jobs
        for barcode in zxingcpp.read_barcodes(job.image.convert("L"))  # type: ignore[union-attr]
    ]


def test_the_issued_ticket_is_printed_with_a_qr_of_its_status_link(
    agent: Agent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    response = agent.issue(**MOVE_IN, language="ja")

    assert response.status_code == 201, response.text
    ticket: dict[str, Any] = response.json()["ticket"]
    assert response.json()["print"] == {"ok": True, "error": None, "warning": None, "status": "ok"}
    assert server.ticket(ticket["status_token"]).json()["number"] == ticket["number"]
    assert ticket["stops"][0]["service"] == "moving_in"
    (job,) = simulator.printed_jobs
    assert job.cut
    assert job.image is not None
    assert job.image.width == 384  # the 58 mm profile
    assert qr_texts(simulator) == [ticket["status_url"]]
    assert agent.spooled_numbers() == []


@pytest.mark.parametrize("fault", ["paper_out", "cover_open", "offline"])
def test_a_printer_fault_loses_nothing_and_staff_reprint_it_after_recovery(
    fault: str, agent: Agent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    simulator.set_state(fault)

    response = agent.issue(service="certificate", language="en")

    assert response.status_code == 201, response.text
    ticket = response.json()["ticket"]
    assert response.json()["print"]["ok"] is False
    assert response.json()["print"]["error"] == fault
    assert server.ticket(ticket["status_token"]).status_code == 200
    assert agent.spooled_numbers() == [ticket["number"]]
    assert simulator.printed_jobs == []
    wait_until(lambda: server.device(agent.device_id)["level"] == "fault")
    health = server.device(agent.device_id)["health"]
    assert health["printer"] == fault
    assert health["pending_prints"] == 1

    simulator.set_state("ok")
    # The periodic check sees the recovery and tells the server...
    wait_until(lambda: server.device(agent.device_id)["level"] == "ok")
    # ...but a stranger's slip is never printed unasked.
    assert simulator.printed_jobs == []
    assert agent.spooled_numbers() == [ticket["number"]]

    listing = agent.client.get("/kiosk/print-jobs", headers=server.staff_headers)
    assert listing.status_code == 200, listing.text
    (job,) = listing.json()
    assert job["number"] == ticket["number"]
    assert job["last_error"] == fault
    reprint = agent.client.post(f"/kiosk/print-jobs/{job['job_id']}/print", headers=server.staff_headers)

    assert reprint.status_code == 200, reprint.text
    assert reprint.json()["print"]["ok"] is True
    assert qr_texts(simulator) == [ticket["status_url"]]
    assert agent.spooled_numbers() == []
    wait_until(lambda: server.device(agent.device_id)["health"]["pending_prints"] == 0)


def test_paper_near_end_prints_and_warns_staff(agent: Agent, server: LiveServer, simulator: PrinterSimulator) -> None:
    simulator.set_state("near_end")

    response = agent.issue(service="certificate")

    assert response.json()["print"] == {
        "ok": True,
        "error": None,
        "warning": "paper_near_end",
        "status": "paper_near_end",
    }
    assert len(simulator.printed_jobs) == 1
    wait_until(lambda: server.device(agent.device_id)["level"] == "warning")
    assert server.device(agent.device_id)["health"]["printer"] == "paper_near_end"


def test_the_citizen_may_retry_their_own_slip_only(agent: Agent, simulator: PrinterSimulator) -> None:
    simulator.set_state("paper_out")
    mine = agent.issue(service="certificate").json()["ticket"]
    theirs = agent.issue(service="certificate").json()["ticket"]
    simulator.set_state("ok")

    made_up = agent.client.post("/kiosk/tickets/reprint", json={"status_token": "not-a-real-token", "language": "en"})
    retried = agent.client.post("/kiosk/tickets/reprint", json={"status_token": mine["status_token"]})
    again = agent.client.post("/kiosk/tickets/reprint", json={"status_token": mine["status_token"]})

    assert made_up.status_code == 409
    assert made_up.json()["code"] == "nothing_to_reprint"
    assert made_up.json()["message"].startswith("This ticket can no longer be printed here.")
    assert retried.status_code == 200
    assert retried.json()["print"]["ok"] is True
    assert qr_texts(simulator) == [mine["status_url"]]
    assert again.status_code == 409, "a printed slip is never printed twice from the screen"
    assert agent.spooled_numbers() == [theirs["number"]]


def test_the_citizen_retry_window_closes(make_agent: MakeAgent, simulator: PrinterSimulator) -> None:
    agent = make_agent(citizen_reprint_seconds=0)
    simulator.set_state("paper_out")
    ticket = agent.issue(service="certificate").json()["ticket"]
    simulator.set_state("ok")

    response = agent.client.post("/kiosk/tickets/reprint", json={"status_token": ticket["status_token"]})

    assert response.status_code == 409
    assert response.json()["code"] == "reprint_expired"
    assert simulator.printed_jobs == []


def test_staff_may_discard_a_slip_handed_over_another_way(
    agent: Agent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    simulator.set_state("offline")
    agent.issue(service="certificate")
    (job,) = agent.client.get("/kiosk/print-jobs", headers=server.staff_headers).json()

    response = agent.client.delete(f"/kiosk/print-jobs/{job['job_id']}", headers=server.staff_headers)

    assert response.status_code == 204
    assert agent.spooled_numbers() == []
    missing = agent.client.delete(f"/kiosk/print-jobs/{job['job_id']}", headers=server.staff_headers)
    assert missing.status_code == 404


def test_server_unreachable_issues_and_prints_nothing(make_agent: MakeAgent, simulator: PrinterSimulator) -> None:
    agent = make_agent(server_url=f"http://127.0.0.1:{free_port()}")

    response = agent.issue(service="certificate", language="en")

    assert response.status_code == 503
    assert response.json()["code"] == "server_unreachable"
    assert response.json()["message"] == (
        "We cannot reach the system, so no ticket was issued. Please ask a member of staff."
    )
    assert simulator.jobs == []
    assert agent.spooled_numbers() == []
    assert agent.client.get("/kiosk/menu?lang=ja").status_code == 503
    assert agent.client.get("/kiosk/status").json()["server"] == {"reachable": False}


def test_an_answer_lost_on_the_way_back_becomes_the_same_ticket_not_a_second(
    make_agent: MakeAgent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    with LossyProxy(server.url, lose=1) as proxy:
        agent = make_agent(server_url=proxy.url)
        response = agent.issue(service="certificate", language="ja")

    assert proxy.lost == 1  # the server issued a ticket whose answer never arrived...
    assert response.status_code == 201, response.text
    number = response.json()["ticket"]["number"]
    with Session(server.engine) as session:  # ...and the retry got that one back
        issued = session.exec(select(Ticket.number).where(Ticket.issued_by_device_id == agent.device_id)).all()
    assert issued == [number]
    assert [job.image is not None for job in simulator.printed_jobs] == [True]


def test_the_screen_trying_again_with_its_key_gets_the_same_ticket(
    agent: Agent, server: LiveServer, simulator: PrinterSimulator
) -> None:
    """After an error screen the citizen presses again: the page resends its key."""
    key = {"Idempotency-Key": "kiosk-screen-0001"}
    first = agent.client.post("/kiosk/tickets", json={"service": "certificate"}, headers=key)
    again = agent.client.post("/kiosk/tickets", json={"service": "certificate"}, headers=key)
    assert first.json()["ticket"]["number"] == again.json()["ticket"]["number"]
    with Session(server.engine) as session:
        issued = session.exec(select(Ticket.number).where(Ticket.issued_by_device_id == agent.device_id)).all()
    assert len(issued) == 1


@pytest.mark.parametrize(
    ("body", "status", "code", "message"),
    [
        (
            {"service": "no_such_service", "language": "ja"},
            404,
            "service_not_found",
            "選んだ手続きは、ただいま受け付けていません。最初の画面からもう一度お選びください。",
        ),
        (
            {"life_event": "move_in", "answers": {"has_children": "yes"}, "language": "en"},
            422,
            "validation_error",
            "Your request could not be accepted. Please start again from the first screen.",
        ),
        (
            {"life_event": "move_in", "answers": {"no_such_question": True}, "language": "pt"},
            422,
            "unknown_question",
            "Este procedimento não está disponível no momento. Comece de novo pela primeira tela.",
        ),
        (
            {"service": "certificate", "priority": "pregnant", "language": "ja_easy"},
            403,
            "priority_by_staff_only",
            "さきに あんない して ほしい ときは、「てつだって ほしい ひと」の ボタンを おして ください。",
        ),
    ],
)
def test_the_servers_refusal_passes_through_in_the_citizens_language(
    agent: Agent,
    simulator: PrinterSimulator,
    body: dict[str, Any],
    status: int,
    code: str,
    message: str,
) -> None:
    response = agent.issue(**body)

    assert response.status_code == status
    assert response.json()["code"] == code
    assert response.json()["message"] == message
    assert response.json()["detail"], "the server's own detail is kept for staff and logs"
    assert simulator.jobs == []


def test_stopped_issuing_shows_in_the_menu_and_refuses_tickets(agent: Agent, server: LiveServer) -> None:
    # Through the admin API: the server keeps each branch's rules in memory until a change
    # it hears of, so a row written behind its back would not stop anything.
    now = datetime.now(UTC)
    admin = make_staff(server.engine, f"kiosk-admin-{uuid.uuid4().hex[:6]}", Role.admin, now)
    headers = {"Authorization": f"Bearer {staff_token(server.engine, admin, now)}"}
    issuing = f"{server.url}/api/v1/admin/branches/{BRANCH}/issuing"
    assert httpx.put(issuing, json={"stopped": True}, headers=headers, timeout=10).status_code == 200
    try:
        menu = agent.client.get("/kiosk/menu?lang=en").json()
        response = agent.issue(service="certificate", language="ko")
    finally:
        assert httpx.put(issuing, json={"stopped": False}, headers=headers, timeout=10).status_code == 200

    assert menu["issuing_open"] is False
    assert response.status_code == 409
    assert response.json()["code"] == "issuing_stopped"
    assert response.json()["message"] == ("현재 번호표 발급을 일시 중지하고 있습니다. 가까운 직원에게 문의해 주십시오.")
