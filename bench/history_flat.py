"""Board snapshot, daily report and `GET /queues` on an empty database vs one with a year of history.

    .venv/bin/python -m bench.history_flat                     # 0 and 500,000 tickets (~3M events)
    .venv/bin/python -m bench.history_flat --tickets 170000    # ~1M events, on a busy machine
    .venv/bin/python -m bench.history_flat --quick             # 0 and 10,000 tickets, 20 rounds
    .venv/bin/python -m bench.history_flat --database-url postgresql://postgres@127.0.0.1:5432/bench

For each size: a fresh database, history bulk-inserted with SQL (each ticket's whole visit in the
event log: issued, called, recalled, serving, routed, completed, and each counter's opening and
closing of every day), a real server, and a little of today (tickets issued, called, completed).
Then, round by round with the sizes interleaved (a busy machine slows every size alike): a
display opens the branch WebSocket and waits for its snapshot, anyone reads `GET /queues`, staff
read today's daily report. The statements each of the three sends are EXPLAINed on the largest
history, and any plan that reads the event log without a bound (a scan of it, or a search by
branch alone that is not a newest-id lookup) is listed.
"""

import argparse
import asyncio
import os
import re
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import websockets
from sqlmodel import Session

from bench.harness import (
    BRANCH,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    RunningServer,
    fresh_database,
    is_postgresql,
    latency_summary_ms,
    load_average,
    machine_info,
    machine_markdown,
    madoguchi,
    markdown_table,
    prepare_database,
    running_server,
    work_directory,
    write_results,
)
from bench.history import HistoryStats, insert_history
from bench.plans import Statement, captured_statements, explain
from server.db import create_db_engine
from server.realtime.service import branch_snapshot, consistent_read
from server.reports.service import daily_report
from server.tickets.views import queue_overview

NAME = "history_flat"
SERVICE = "certificate"
COUNTER = "7"  # a public window serving certificates
FULL_TICKETS = 500_000
QUICK_TICKETS = 10_000
PER_DAY = 2_000  # 250 business days: about a year
TODAY_TICKETS = 40
TODAY_CALLS = 25
# With a year of history each read may be this much slower (p50) than on an empty database.
GROWTH_ALLOWED = 1.2
REQUESTS = ("snapshot", "queues", "daily_report")
_READS_EVENT_LOG = re.compile(r"\b(FROM|JOIN) event\b")
# Plan lines that read the event log without a bound on time or id.
_UNBOUNDED_EVENT_READ = re.compile(
    r"^SCAN (event|e)\b|SEARCH (event|e) USING INDEX ix_event_branch_id \(branch_id=\?\)$|Seq Scan on event\b"
)


@dataclass
class Station:
    """One history size: its database, server and clients."""

    size: int
    url: str
    history: HistoryStats
    display_token: str
    server: RunningServer | None = None
    timings: dict[str, list[float]] = field(default_factory=lambda: {name: [] for name in REQUESTS})


def prepare(size: int, url: str) -> Station:
    print(f"history {size:,}: preparing", flush=True)
    prepare_database(url, with_staff=True)
    display = madoguchi(url, "device", "add", "bench-board", "--kind", "display").strip().splitlines()[0]
    engine = create_db_engine(url)
    try:
        today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
        history = insert_history(engine, branch_id=BRANCH, total=size, per_day=PER_DAY, today=today, visit_events=True)
    finally:
        engine.dispose()
    print(f"history {size:,}: {history.events:,} events inserted in {history.seconds} s", flush=True)
    return Station(size=size, url=url, history=history, display_token=display)


def staff_headers(client: httpx.Client) -> dict[str, str]:
    login = client.post("/api/v1/auth/login", json={"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
    login.raise_for_status()
    return {"Authorization": f"Bearer {login.json()['access_token']}"}


def make_today(client: httpx.Client, staff: dict[str, str], kiosk_token: str) -> None:
    """A little of today, so the board lists calls and the report has figures."""
    kiosk = {"Authorization": f"Bearer {kiosk_token}"}
    counters = client.get(f"/api/v1/branches/{BRANCH}/counters").json()
    window = next(counter["id"] for counter in counters if counter["name"] == COUNTER)
    client.post(f"/api/v1/counters/{window}/open", headers=staff).raise_for_status()
    for _ in range(TODAY_TICKETS):
        client.post(f"/api/v1/branches/{BRANCH}/tickets", json={"service": SERVICE}, headers=kiosk).raise_for_status()
    for _ in range(TODAY_CALLS):
        client.post(f"/api/v1/counters/{window}/call-next", headers=staff).raise_for_status()
        client.post(f"/api/v1/counters/{window}/complete", headers=staff).raise_for_status()


async def snapshot_seconds(server: RunningServer, token: str) -> float:
    """Connect as a display and wait for the snapshot (its read is what history could slow down)."""
    url = f"ws{server.base_url[4:]}/api/v1/branches/{BRANCH}/events?token={token}"
    started = perf_counter()
    async with websockets.connect(url, ping_interval=None) as socket:
        first = await socket.recv()
        elapsed = perf_counter() - started
    if '"snapshot"' not in str(first)[:40]:
        raise RuntimeError(f"expected a snapshot, got {str(first)[:200]}")
    return elapsed


def timed_get(client: httpx.Client, path: str, headers: dict[str, str] | None = None) -> float:
    started = perf_counter()
    response = client.get(path, headers=headers)
    elapsed = perf_counter() - started
    response.raise_for_status()
    return elapsed


def measure(stations: Sequence[Station], clients: Sequence[httpx.Client], *, rounds: int, warmup: int) -> None:
    staff = [staff_headers(client) for client in clients]
    for round_number in range(-warmup, rounds):
        shift = round_number % len(stations)
        order = [*range(shift, len(stations)), *range(shift)]
        for index in order:
            station, client = stations[index], clients[index]
            assert station.server is not None
            seconds = {
                "snapshot": asyncio.run(snapshot_seconds(station.server, station.display_token)),
                "queues": timed_get(client, f"/api/v1/branches/{BRANCH}/queues"),
                "daily_report": timed_get(client, f"/api/v1/branches/{BRANCH}/reports/daily", staff[index]),
            }
            if round_number >= 0:
                for name, value in seconds.items():
                    station.timings[name].append(value)


def query_plans(url: str) -> dict[str, list[dict[str, Any]]]:
    """EXPLAIN every statement the three reads send, in-process against the same database."""
    engine = create_db_engine(url)
    now = datetime.now(UTC)
    business_on = now.astimezone(ZoneInfo("Asia/Tokyo")).date()
    reads: dict[str, Callable[[Session], object]] = {
        "snapshot": lambda session: branch_snapshot(session, branch_id=BRANCH, now=now, sample=20),
        "queues": lambda session: queue_overview(session, branch_id=BRANCH, now=now, sample=20),
        "daily_report": lambda session: daily_report(session, branch_id=BRANCH, business_on=business_on, now=now),
    }
    plans: dict[str, list[dict[str, Any]]] = {}
    try:
        for name, read in reads.items():
            with captured_statements(engine) as statements, consistent_read(engine) as session:
                read(session)
            plans[name] = [statement_entry(statement) for statement in explain(engine, statements)]
    finally:
        engine.dispose()
    return plans


def statement_entry(statement: Statement) -> dict[str, Any]:
    entry = statement.as_dict()
    entry["unbounded_event_read"] = any(_UNBOUNDED_EVENT_READ.search(line) for line in statement.plan)
    return entry


def run(*, tickets: int, quick: bool, database_url: str | None, keep: Path | None) -> dict[str, Any]:
    sizes = (0, QUICK_TICKETS if quick else tickets)
    rounds, warmup = (20, 3) if quick else (100, 10)
    with work_directory(keep) as workdir, ExitStack() as stack:
        stations = [
            prepare(size, stack.enter_context(fresh_database(workdir, database_url, f"flat_{size}", keep=bool(keep))))
            for size in sizes
        ]
        load_before = load_average()
        clients = []
        for station in stations:
            station.server = stack.enter_context(running_server(station.url, workdir / f"server_{station.size}.log"))
            client = stack.enter_context(httpx.Client(base_url=station.server.base_url, timeout=120))
            kiosk = madoguchi(station.url, "device", "add", "bench-kiosk", "--kind", "kiosk").strip().splitlines()[0]
            make_today(client, staff_headers(client), kiosk)
            clients.append(client)
        print(f"measuring {rounds} rounds per size, interleaved", flush=True)
        measure(stations, clients, rounds=rounds, warmup=warmup)
        load_after = load_average()
        plans = query_plans(stations[-1].url)
        machine = machine_info(database_url)
    runs = [
        {
            "history_tickets": station.size,
            "history_events": station.history.events,
            "business_days": station.history.business_days,
            "insert_seconds": station.history.seconds,
            "latency": {name: latency_summary_ms(values) for name, values in station.timings.items()},
        }
        for station in stations
    ]
    growth = {
        name: round(runs[-1]["latency"][name]["p50_ms"] / runs[0]["latency"][name]["p50_ms"], 2) for name in REQUESTS
    }
    unbounded = [
        f"{name}: {entry['sql'][:160]}"
        for name, entries in plans.items()
        for entry in entries
        if entry["unbounded_event_read"]
    ]
    data: dict[str, Any] = {
        "benchmark": NAME,
        "quick": quick,
        "machine": machine,
        "parameters": {
            "database": "postgresql" if database_url and is_postgresql(database_url) else "sqlite",
            "server": "madoguchi serve, uvicorn, 1 process per history size",
            "sizes": list(sizes),
            "history_tickets_per_business_day": PER_DAY,
            "rounds": rounds,
            "warmup_rounds": warmup,
            "today": f"{TODAY_TICKETS} tickets issued, {TODAY_CALLS} called and completed",
        },
        "load_average": {"before": load_before, "after": load_after},
        "results": {"runs": runs, "p50_growth": growth, "unbounded_event_reads": unbounded},
        "plans": plans,
    }
    data["table"] = table_entry(data)
    return data


def table_entry(data: dict[str, Any]) -> dict[str, Any]:
    runs, growth = data["results"]["runs"], data["results"]["p50_growth"]
    empty, full = runs[0], runs[-1]
    parts = [
        f"{name} p50 {empty['latency'][name]['p50_ms']} → {full['latency'][name]['p50_ms']} ms (×{growth[name]})"
        for name in REQUESTS
    ]
    flat = all(value <= GROWTH_ALLOWED for value in growth.values()) and not data["results"]["unbounded_event_reads"]
    load = data["load_average"]["after"]
    return {
        "flat": {
            "result": f"{', '.join(parts)}; empty vs {full['history_tickets']:,} tickets / "
            f"{full['history_events']:,} events; load average {load[0] if load else '?'}",
            "met": flat,
        }
    }


def to_markdown(data: dict[str, Any]) -> str:
    runs = data["results"]["runs"]
    rows = [
        [f"{run['history_tickets']:,}", f"{run['history_events']:,}", name, *_summary(run["latency"][name])]
        for run in runs
        for name in REQUESTS
    ]
    table = markdown_table(["history tickets", "events", "read", "p50 ms", "p90 ms", "p99 ms", "n"], rows)
    plan_lines = []
    for name, entries in data["plans"].items():
        for entry in entries:
            if _READS_EVENT_LOG.search(entry["sql"]):
                plan_lines.append(f"- {name}: `{entry['sql'][:140]}…` → `{' / '.join(entry['plan'])}`")
    unbounded = data["results"]["unbounded_event_reads"] or ["none"]
    growth = ", ".join(f"{name} ×{value}" for name, value in data["results"]["p50_growth"].items())
    parameters = data["parameters"]
    return f"""# Board, queues and report against a year of history{" (quick)" if data["quick"] else ""}

{parameters["server"]}, {parameters["database"]}; {parameters["rounds"]} rounds after {parameters["warmup_rounds"]}
warm-up, sizes interleaved; today: {parameters["today"]}. History: {parameters["history_tickets_per_business_day"]:,}
tickets a business day, each with its visit's events, bulk-inserted with SQL (insert s:
{", ".join(f"{run['history_tickets']:,} → {run['insert_seconds']}" for run in runs)}).

{table}

p50 with history / empty: **{growth}** (allowed ≤ {GROWTH_ALLOWED}). Load average before → after:
{data["load_average"]["before"]} → {data["load_average"]["after"]} (2 would be both cores busy).

## Plans of the statements that read the event log (largest history)

{chr(10).join(plan_lines)}

Unbounded reads of the event log: {"; ".join(unbounded)}

{machine_markdown(data["machine"])}
"""


def _summary(latency: dict[str, Any]) -> list[object]:
    return [latency["p50_ms"], latency["p90_ms"], latency["p99_ms"], latency["count"]]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="0 and 10,000 tickets, 20 rounds (bench/results/quick/)")
    parser.add_argument("--tickets", type=int, default=FULL_TICKETS, help="history tickets of the large size")
    parser.add_argument("--database-url", default=os.environ.get("MADOGUCHI_BENCH_POSTGRESQL_URL"))
    parser.add_argument("--keep", type=Path, help="keep databases and server logs in this folder")
    args = parser.parse_args(argv)
    data = run(tickets=args.tickets, quick=args.quick, database_url=args.database_url, keep=args.keep)
    suffix = "-postgresql" if data["parameters"]["database"] == "postgresql" else ""
    json_path, markdown_path = write_results(NAME + suffix, data, to_markdown(data), quick=args.quick)
    print(to_markdown(data))
    print(f"Wrote {json_path} and {markdown_path}")
    return 0 if data["table"]["flat"]["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
