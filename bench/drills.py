"""Fault drills: a simulated day (bench/simulate.py) with something breaking in the middle of it.
Each drill passes only if every invariant of the day still holds, plus its own checks.

    .venv/bin/python -m bench.drills [--drill sigkill|display|printer|postgres|all]
                                     [--tickets N] [--speed X] [--seed S]
                                     [--database-url postgresql://postgres@127.0.0.1:5432/bench]

- sigkill (SQLite): the server is SIGKILLed at 11:00 and restarted two seconds later. Visitors
  whose request got no answer try again; staff ask their desk what they hold and carry on.
- display: display-1 loses its connection for a (simulated) minute at 11:00 and comes back with
  after=<last id>: nothing lost, nothing twice, and its board equals the database afterwards.
- printer: visitors use a real kiosk agent (`madoguchi kiosk`) printing on a simulated network
  printer, which runs out of paper at 10:30 and is switched off at 14:00 for 20 minutes each:
  every ticket is still issued and stored, slips fail only while the printer is down, and the
  kiosk reports both faults to the server.
- postgres (needs --database-url): two server processes; the second is stopped at 10:30 and
  started again at 11:00 (its clients move to the first), then at 13:00 every event listener's
  connection is killed with pg_terminate_backend: listeners reconnect, clients resync and
  resume from the log.

Results: bench/results/drills.json and .md (--quick: bench/results/quick/).
"""

import argparse
import asyncio
import json
import os
import subprocess
import sys
import time
from collections.abc import Sequence
from datetime import datetime, timedelta
from datetime import time as clock_time
from typing import Any

import httpx
from sqlalchemy import text
from sqlmodel import Session, col, select

from bench.harness import (
    PROJECT_DIR,
    free_port,
    machine_info,
    machine_markdown,
    madoguchi_command,
    results_dir,
    stop_process,
)
from bench.simulation.actors import wait_for
from bench.simulation.checks import Check, DayResult, board_matches, load_log
from bench.simulation.city import DAYS, local
from bench.simulation.day import Fault, Options, Running, run_day
from server.models import Counter, Event, Stop, Ticket
from server.realtime.bus import LISTENER_APPLICATION_NAME
from server.realtime.service import consistent_read

RESULTS_NAME = "drills"
QUICK_TICKETS = 150
DRILLS = ("sigkill", "display", "printer", "postgres")


def at(day: str, hour: int, minute: int = 0) -> datetime:
    return local(DAYS[day].on, clock_time(hour, minute))


# --- what the drills do -------------------------------------------------------------------------


def sigkill_fault(day: str, *, hour: int = 11, down_seconds: float = 2.0) -> Fault:
    async def action(running: Running) -> dict[str, Any]:
        server = running.servers[0]
        before = running.day.stats.transport_errors
        server.kill()
        await asyncio.sleep(down_seconds)
        await asyncio.to_thread(server.start)
        return {
            "killed": "SIGKILL",
            "down_real_seconds": down_seconds,
            "starts": server.starts,
            "errors_before": before,
        }

    return Fault("sigkill", at(day, hour), action)


def public_board(engine: Any) -> tuple[int, dict[int, str]]:
    """The last event id and the number in hand at each public counter, read at one moment."""
    with consistent_read(engine) as session:
        last = int(session.exec(select(col(Event.id)).order_by(col(Event.id).desc()).limit(1)).first() or 0)
        rows = session.exec(
            select(Counter.id, Ticket.number)
            .join(Stop, col(Stop.id) == Counter.current_stop_id)
            .join(Ticket, col(Ticket.id) == Stop.ticket_id)
            .where(col(Counter.public))
        ).all()
    return last, {int(counter_id): number for counter_id, number in rows if counter_id is not None}


def display_fault(day: str, *, hour: int = 11, away_simulated_seconds: float = 60.0) -> Fault:
    async def action(running: Running) -> dict[str, Any]:
        display = running.displays[0]
        connects = display.connects
        display.cut_off(running.day.clock.real_seconds(away_simulated_seconds))
        back = await wait_for(lambda: display.connects > connects, seconds=60)
        # Two simulated minutes later, compare what it shows with the database at one event.
        await running.day.clock.sleep(120)
        last, state = await asyncio.to_thread(public_board, running.engine)
        caught_up = await wait_for(lambda: (display.last_id or 0) >= last, seconds=30)
        log = await asyncio.to_thread(load_log, running.engine)
        check = board_matches(log, running.displays, at_event=last, public_state=state)
        running.day.extra_checks += [
            Check("display-1 came back after being cut off", back and caught_up, f"{display.connects} connections"),
            check,
        ]
        return {"away_simulated_seconds": away_simulated_seconds, "compared_at_event": last, "board_ok": check.ok}

    return Fault("display", at(day, hour), action)


def printer_faults(day: str, *, minutes: float = 20.0) -> list[Fault]:
    """A kiosk agent with a simulated printer from the start; paper out, later switched off."""
    from printer.simulator import PrinterSimulator, PrinterState

    printer = PrinterSimulator()
    windows: list[tuple[datetime, datetime, str]] = []

    async def start_kiosk(running: Running) -> dict[str, Any]:
        printer.start()
        running.day.cleanups.append(printer.stop)
        port = free_port()
        workdir = running.servers[0].log_path.parent
        env = {**os.environ, "MADOGUCHI_KIOSK_TOKEN": running.accounts.kiosk_token}
        command = [
            madoguchi_command(), "kiosk", "--server", running.servers[0].url, "--branch", running.day.branch,
            "--printer", printer.url, "--port", str(port), "--spool", str(workdir / "kiosk-spool.json"),
            "--health-interval", "1",
        ]  # fmt: skip
        agent = await asyncio.to_thread(_spawn, command, env, workdir / "kiosk.log")
        running.day.cleanups.append(lambda: stop_process(agent))
        url = f"http://127.0.0.1:{port}"
        up = await wait_for(lambda: _answers(f"{url}/kiosk/status"), seconds=30, step=0.2)
        running.day.kiosk_agent = httpx.AsyncClient(base_url=url, timeout=30)
        return {"kiosk_agent": url, "up": up, "printer": printer.url}

    def fault(name: str, state: PrinterState, hour: int, minute: int) -> Fault:
        async def action(running: Running) -> dict[str, Any]:
            begun = running.day.clock.now()
            await asyncio.to_thread(printer.set_state, state)
            await running.day.clock.sleep(minutes * 60)
            await asyncio.to_thread(printer.set_state, PrinterState.OK)
            windows.append((begun, running.day.clock.now(), state.value))
            if name == "printer-offline":  # the last one: judge the whole drill
                running.day.extra_checks += _printer_checks(running, windows, printed=len(printer.printed_jobs))
            return {"state": state.value, "minutes": minutes}

        return Fault(name, at(day, hour, minute), action)

    return [
        Fault("kiosk-agent", at(day, 8, 22), start_kiosk),
        fault("printer-paper-out", PrinterState.PAPER_OUT, 10, 30),
        fault("printer-offline", PrinterState.OFFLINE, 14, 0),
    ]


def _spawn(command: list[str], env: dict[str, str], log_path: Any) -> subprocess.Popen[bytes]:
    with log_path.open("ab") as log:
        return subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)


def _answers(url: str) -> bool:
    try:
        return httpx.get(url, timeout=2).status_code == 200
    except httpx.TransportError:
        return False


def _printer_checks(running: Running, windows: list[tuple[datetime, datetime, str]], *, printed: int) -> list[Check]:
    # A print attempt started just before a fault may end just after it: a real second's slack.
    slack = timedelta(seconds=running.day.clock.drill.speed)

    def during_fault(moment: datetime) -> bool:
        return any(start - slack <= moment <= end + slack for start, end, _ in windows)

    prints = running.day.prints
    failed = [(moment, number, error) for moment, number, ok, error in prints if not ok]
    outside = [number for moment, number, _ in failed if not during_fault(moment)]
    inside = [moment for moment, *_ in prints if any(start + slack < moment < end - slack for start, end, _ in windows)]
    with Session(running.engine) as session:
        reported = {
            str(event.payload.get("printer"))
            for event in session.exec(select(Event).where(Event.type == "device.health")).all()
        }
    numbers = [number for _, number, _, _ in prints]
    with Session(running.engine) as session:
        stored = set(session.exec(select(Ticket.number).where(col(Ticket.number).in_(numbers))).all())
    return [
        Check(
            "printer faults lose no ticket: every kiosk issue was acknowledged and stored",
            bool(prints) and set(numbers) <= stored,
            f"{len(prints)} kiosk tickets, {len(set(numbers) - stored)} not stored",
        ),
        Check(
            "slips fail while the printer is down, and only then",
            bool(failed) and not outside and all(not ok for moment, _, ok, _ in prints if moment in inside),
            f"{len(failed)} failed prints, {len(outside)} outside the fault windows, {len(inside)} issued during "
            f"faults; {printed} slips printed",
        ),
        Check(
            "the kiosk reported paper out and offline to the server (device.health events)",
            {"paper_out", "offline"} <= reported,
            f"printer states reported: {sorted(reported)}",
        ),
    ]


def postgres_faults(day: str) -> list[Fault]:
    async def stop_second(running: Running) -> dict[str, Any]:
        second = running.servers[1]
        await asyncio.to_thread(second.stop)
        await running.day.clock.sleep(30 * 60)
        await asyncio.to_thread(second.start)
        return {"stopped": second.name, "simulated_minutes_down": 30}

    async def kill_listeners(running: Running) -> dict[str, Any]:
        resyncs = sum(display.resyncs for display in running.displays)
        killed = await asyncio.to_thread(_terminate_listeners, running.engine)
        recovered = await wait_for(lambda: _listeners(running.engine) >= len(running.servers), seconds=60, step=0.5)
        resynced = await wait_for(
            lambda: sum(display.resyncs for display in running.displays) > resyncs, seconds=30, step=0.2
        )
        running.day.extra_checks += [
            Check(
                "every killed event listener reconnected",
                killed >= 1 and recovered,
                f"{killed} listener connections terminated; {_listeners(running.engine)} listening again",
            ),
            Check("displays were told to resync, and resumed", resynced, "resync received"),
        ]
        return {"terminated": killed, "listeners_back": recovered}

    return [
        Fault("stop-second-process", at(day, 10, 30), stop_second),
        Fault("kill-listen", at(day, 13), kill_listeners),
    ]


def _terminate_listeners(engine: Any) -> int:
    with engine.connect() as connection:
        killed = connection.execute(
            text(
                "SELECT count(*) FROM (SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = :name AND datname = current_database()) AS terminated"
            ),
            {"name": LISTENER_APPLICATION_NAME},
        ).scalar_one()
    return int(killed)


def _listeners(engine: Any) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity WHERE application_name = :name "
                    "AND datname = current_database() AND state IS NOT NULL"
                ),
                {"name": LISTENER_APPLICATION_NAME},
            ).scalar_one()
        )


# --- running them -------------------------------------------------------------------------------


def drill_options(name: str, arguments: argparse.Namespace) -> tuple[Options, list[Fault]]:
    day = arguments.day
    tickets = arguments.tickets or (QUICK_TICKETS if arguments.quick else None)
    options = Options(day=day, tickets=tickets, speed=arguments.speed, seed=arguments.seed)
    if name == "sigkill":
        return options, [sigkill_fault(day)]
    if name == "display":
        return options, [display_fault(day)]
    if name == "printer":
        return options, printer_faults(day)
    options.database_url, options.processes = arguments.database_url, 2
    return options, postgres_faults(day)


def run_drill(name: str, arguments: argparse.Namespace) -> DayResult:
    options, faults = drill_options(name, arguments)
    return run_day(options, faults)


def render(name: str, result: DayResult) -> str:
    lines = [f"Drill {name}: {'PASS' if result.ok else 'FAIL'} ({result.meta['real_seconds']:.0f} s real)"]
    lines += [f"  [{'PASS' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in result.checks]
    lines += [f"  fault {fault}: {outcome}" for fault, outcome in result.faults.items()]
    return "\n".join(lines)


def write_results(results: dict[str, DayResult], *, quick: bool) -> None:
    directory = results_dir(quick=quick)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{RESULTS_NAME}.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    machine = machine_info()
    for name, result in results.items():
        data.setdefault("drills", {})[name] = {
            "ok": result.ok,
            "meta": result.meta,
            "faults": result.faults,
            "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in result.checks],
            "notes": result.notes,
            "machine": machine,
        }
    data["machine"] = machine
    data["table"] = {
        "drills": {
            "result": ", ".join(
                f"{name} {'pass' if entry['ok'] else 'FAIL'}" for name, entry in sorted(data["drills"].items())
            ),
            "met": all(entry["ok"] for entry in data["drills"].values()),
        }
    }
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    lines = ["# Fault drills", "", "Written by `bench/drills.py`; each drill is a simulated day with a fault in it."]
    for name, entry in sorted(data["drills"].items()):
        meta = entry["meta"]
        lines += [
            "",
            f"## {name}: {'pass' if entry['ok'] else 'FAIL'}",
            "",
            f"{meta['visitors_planned']} visitors, {meta['database']}, {meta['processes']} process(es), speed "
            f"{meta['speed']:g}×, {meta['real_seconds']:.0f} s real. " + machine_markdown(entry["machine"]),
            "",
            *(f"- fault {fault}: {outcome}" for fault, outcome in entry["faults"].items()),
            *(f"- {'✅' if c['ok'] else '❌'} {c['name']}: {c['detail']}" for c in entry["checks"]),
        ]
    (directory / f"{RESULTS_NAME}.md").write_text("\n".join(lines) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--drill", choices=[*DRILLS, "all"], default="all")
    parser.add_argument("--day", choices=sorted(DAYS), default="normal")
    parser.add_argument("--tickets", type=int, default=None)
    parser.add_argument("--speed", type=float, default=120.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--database-url", help="PostgreSQL server for the postgres drill (a new database is made)")
    parser.add_argument("--quick", action="store_true", help="150 visitors unless --tickets; bench/results/quick/")
    arguments = parser.parse_args(list(sys.argv[1:] if argv is None else argv))
    names = DRILLS if arguments.drill == "all" else (arguments.drill,)
    results: dict[str, DayResult] = {}
    for name in names:
        if name == "postgres" and not arguments.database_url:
            print("Drill postgres: SKIPPED (give --database-url postgresql://…)")
            continue
        if name == "printer" and not _kiosk_available():
            print("Drill printer: SKIPPED (the kiosk agent is not installed)")
            continue
        started = time.monotonic()
        results[name] = run_drill(name, arguments)
        print(render(name, results[name]), f"\n  ({time.monotonic() - started:.0f} s)", flush=True)
    write_results(results, quick=arguments.quick)
    return 0 if all(result.ok for result in results.values()) else 1


def _kiosk_available() -> bool:
    import importlib.util

    return (
        importlib.util.find_spec("kiosk.app") is not None and importlib.util.find_spec("printer.simulator") is not None
    )


if __name__ == "__main__":
    raise SystemExit(main())
