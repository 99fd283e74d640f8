"""Call-next latency with 0, 10,000 and 1,000,000 finished tickets in the database.

    .venv/bin/python -m bench.call_next_history            # 300 calls per history size
    .venv/bin/python -m bench.call_next_history --quick    # 0 and 10,000 only, 50 calls
    .venv/bin/python -m bench.call_next_history --database-url postgresql://postgres@127.0.0.1:5432/bench

For each size: a fresh database, history bulk-inserted with SQL, a real server; one staff member
at a counter serving `certificate` repeats "a kiosk issues a ticket, the counter calls next,
the counter completes", so something always waits (a standing backlog) and the counter is free.
The servers of all sizes run side by side and the rounds alternate between them, so a busy
machine slows every size alike instead of whichever happened to run last.
Call-next only reads waiting stops through the partial index ix_stop_waiting_queue, so its
latency must not grow with history; EXPLAIN confirms which index each statement uses.
"""

import argparse
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from time import perf_counter, process_time
from typing import Any
from zoneinfo import ZoneInfo

import httpx
from sqlalchemy import text
from sqlmodel import Session, select

from bench.harness import (
    BRANCH,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    RunningServer,
    fresh_database,
    is_postgresql,
    latency_summary_ms,
    machine_busy_cpu_seconds,
    machine_info,
    machine_markdown,
    markdown_table,
    prepare_database,
    running_server,
    work_directory,
    write_results,
)
from bench.history import HistoryStats, insert_history
from bench.plans import Statement, captured_statements, explain
from server.counters.service import call_next, complete_stop
from server.db import create_db_engine, write_session
from server.models import Device, Staff
from server.tickets.schemas import TicketCreate
from server.tickets.service import issue_ticket
from server.tickets.views import ticket_view

NAME = "call_next_history"
SERVICE = "certificate"
PARTIAL_INDEX = "ix_stop_waiting_queue"
# Call-next at the largest history may be this much slower (p50) than on an empty database
# before we call it growth rather than noise.
GROWTH_ALLOWED = 1.5
FULL_SIZES = (0, 10_000, 1_000_000)
QUICK_SIZES = (0, 10_000)


class StaffedCounter:
    """One staff member at one counter, talking HTTP to the server like the staff console does."""

    def __init__(self, client: httpx.Client, kiosk_token: str) -> None:
        self.client = client
        self.kiosk = {"Authorization": f"Bearer {kiosk_token}"}
        login = client.post("/api/v1/auth/login", json={"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
        login.raise_for_status()
        self.staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
        counters = client.get(f"/api/v1/branches/{BRANCH}/counters")
        counters.raise_for_status()
        self.id: int = next(c["id"] for c in counters.json() if SERVICE in c["services"] and c["public"])
        client.post(f"/api/v1/counters/{self.id}/open", headers=self.staff).raise_for_status()

    def issue(self) -> float:
        started = perf_counter()
        response = self.client.post(f"/api/v1/branches/{BRANCH}/tickets", json={"service": SERVICE}, headers=self.kiosk)
        elapsed = perf_counter() - started
        if response.status_code != 201:
            raise RuntimeError(f"issue answered {response.status_code}: {response.text[:300]}")
        return elapsed

    def serve_one(self) -> dict[str, float]:
        """A kiosk issues a ticket; the counter calls the next one and completes it. Seconds each."""
        return {"issue": self.issue(), "call_next": self.act("call-next"), "complete": self.act("complete")}

    def act(self, action: str) -> float:
        started = perf_counter()
        response = self.client.post(f"/api/v1/counters/{self.id}/{action}", headers=self.staff)
        elapsed = perf_counter() - started
        if response.status_code != 200 or response.json().get("ticket") is None:
            raise RuntimeError(f"{action} answered {response.status_code}: {response.text[:300]}")
        return elapsed


@dataclass
class Prepared:
    """One history size: its database, ready to serve."""

    size: int
    url: str
    kiosk_token: str
    history: HistoryStats


@dataclass
class Station:
    """One history size while it is measured: its server and its counter."""

    prepared: Prepared
    server: RunningServer
    counter: StaffedCounter
    timings: dict[str, list[float]] = field(default_factory=lambda: {"call_next": [], "issue": [], "complete": []})
    server_cpu_seconds: float | None = None


def measure_interleaved(stations: Sequence[Station], *, iterations: int, warmup: int, backlog: int) -> float | None:
    """Round-robin over the sizes, one round each in turn, so whatever else the machine is doing
    weighs on every size alike. Returns the other processes' CPU share (cores) meanwhile."""
    for station in stations:
        for _ in range(backlog):
            station.counter.issue()
        for _ in range(warmup):
            station.counter.serve_one()
    before = {id(station): station.server.cpu_seconds() for station in stations}
    machine_before, client_before, started = machine_busy_cpu_seconds(), process_time(), perf_counter()
    for round_number in range(iterations):
        # Rotate who goes first, so no size always follows the same neighbour.
        shift = round_number % len(stations)
        for station in [*stations[shift:], *stations[:shift]]:
            for name, seconds in station.counter.serve_one().items():
                station.timings[name].append(seconds)
    elapsed, client_cpu = perf_counter() - started, process_time() - client_before
    machine_after = machine_busy_cpu_seconds()
    servers_cpu = 0.0
    for station in stations:
        first, last = before[id(station)], station.server.cpu_seconds()
        if first is not None and last is not None:
            station.server_cpu_seconds = last - first
            servers_cpu += last - first
    if machine_before is None or machine_after is None:
        return None
    return round(max(machine_after - machine_before - servers_cpu - client_cpu, 0) / elapsed, 2)


def query_plans(database_url: str, counter_id: int) -> dict[str, Any]:
    """Run issue and call-next once more in-process, capture their SQL and EXPLAIN it."""
    engine = create_db_engine(database_url)
    try:
        now = datetime.now(UTC)
        with Session(engine) as session:
            staff_id = session.exec(select(Staff.id).where(Staff.username == STAFF_USERNAME)).one()
            device_id = session.exec(select(Device.id).where(Device.name == "bench")).one()
        with captured_statements(engine) as issued, write_session(engine) as session:
            device = session.get(Device, device_id)
            assert device is not None
            ticket = issue_ticket(
                session,
                branch_id=BRANCH,
                request=TicketCreate(service=SERVICE),
                issuer=device,
                now=now,
                ignore_hours=True,
            )
            ticket_view(session, ticket, base_url="http://bench/", now=now)
        with captured_statements(engine) as called, write_session(engine) as session:
            staff = session.get(Staff, staff_id)
            assert staff is not None
            called_ticket = call_next(session, counter_id=counter_id, staff=staff, now=now)
            assert called_ticket is not None, "nothing waited for call-next"
            ticket_view(session, called_ticket, base_url="http://bench/", now=now)
        with write_session(engine) as session:
            staff = session.get(Staff, staff_id)
            assert staff is not None
            complete_stop(session, counter_id=counter_id, staff=staff, now=now)
        call_plans, issue_plans = explain(engine, called), explain(engine, issued)
    finally:
        engine.dispose()
    heads = [statement for statement in call_plans if _is_queue_head(statement)]
    return {
        "head_query": heads[0].as_dict() if heads else None,
        "head_queries": len(heads),
        "uses_partial_index": bool(heads) and all(any(PARTIAL_INDEX in line for line in s.plan) for s in heads),
        "call_next_reading_history": [s.as_dict() for s in call_plans if s.reads_history],
        "issue_reading_history": [s.as_dict() for s in issue_plans if s.reads_history],
        "call_next_statements": [s.as_dict() for s in call_plans],
        "issue_statements": [s.as_dict() for s in issue_plans],
    }


def _is_queue_head(statement: Statement) -> bool:
    sql = " ".join(statement.sql.split())
    return "FROM stop" in sql and "stop.status =" in sql and "ORDER BY stop.sort_at" in sql


def database_size(database_url: str) -> int:
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            if is_postgresql(database_url):
                return int(connection.execute(text("SELECT pg_database_size(current_database())")).scalar_one())
            pages = connection.execute(text("PRAGMA page_count")).scalar_one()
            return int(pages) * int(connection.execute(text("PRAGMA page_size")).scalar_one())
    finally:
        engine.dispose()


def prepare(size: int, *, url: str, per_day: int) -> Prepared:
    print(f"history {size:,}: preparing", flush=True)
    accounts = prepare_database(url, with_staff=True)
    engine = create_db_engine(url)
    try:
        # Business days are the branch's local days (the demo branch is in Tokyo).
        today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
        history = insert_history(engine, branch_id=BRANCH, total=size, per_day=per_day, today=today)
    finally:
        engine.dispose()
    print(f"history {size:,}: inserted in {history.seconds} s", flush=True)
    return Prepared(size=size, url=url, kiosk_token=accounts.kiosk_token, history=history)


def describe(station: Station, *, iterations: int) -> dict[str, Any]:
    prepared, history = station.prepared, station.prepared.history
    cpu = station.server_cpu_seconds
    return {
        "history_tickets": prepared.size,
        "history": {
            "business_days": history.business_days,
            "first_day": history.first_day.isoformat() if history.first_day else None,
            "last_day": history.last_day.isoformat() if history.last_day else None,
            "insert_seconds": history.seconds,
            "rows": {"ticket": prepared.size, "stop": prepared.size, "event": prepared.size},
        },
        "database_bytes": database_size(prepared.url),
        "latency": {name: latency_summary_ms(values) for name, values in station.timings.items()},
        # One round = issue + call-next + complete. CPU time is steadier than latency on a busy machine.
        "server_cpu_ms_per_round": round(cpu / iterations * 1000, 2) if cpu is not None else None,
        "plans": query_plans(prepared.url, station.counter.id),
    }


def run(
    *,
    sizes: Sequence[int],
    postgresql_url: str | None,
    keep_in: Path | None,
    iterations: int,
    warmup: int,
    backlog: int,
    per_day: int,
) -> dict[str, Any]:
    with work_directory(keep_in) as workdir, ExitStack() as stack:
        prepared = [
            prepare(
                size,
                url=stack.enter_context(
                    fresh_database(workdir, postgresql_url, f"history_{size}", keep=keep_in is not None)
                ),
                per_day=per_day,
            )
            for size in sizes
        ]
        print(f"measuring {iterations} rounds per size, interleaved", flush=True)
        with ExitStack() as servers:
            stations = []
            for item in prepared:
                server = servers.enter_context(running_server(item.url, workdir / f"server_{item.size}.log"))
                client = servers.enter_context(httpx.Client(base_url=server.base_url, timeout=120))
                stations.append(Station(item, server, StaffedCounter(client, item.kiosk_token)))
            other_cpu_share = measure_interleaved(stations, iterations=iterations, warmup=warmup, backlog=backlog)
        runs = [describe(station, iterations=iterations) for station in stations]
        machine = machine_info(prepared[-1].url)
    for run_data in runs:
        call = run_data["latency"]["call_next"]
        print(f"history {run_data['history_tickets']:,}: call-next p50 {call['p50_ms']} ms, p99 {call['p99_ms']} ms")
    p50_growth = runs[-1]["latency"]["call_next"]["p50_ms"] / runs[0]["latency"]["call_next"]["p50_ms"]
    cpu_first, cpu_last = runs[0]["server_cpu_ms_per_round"], runs[-1]["server_cpu_ms_per_round"]
    cpu_growth = cpu_last / cpu_first if cpu_first and cpu_last else None
    return {
        "benchmark": NAME,
        "machine": machine,
        "parameters": {
            "database": "postgresql" if postgresql_url else "sqlite",
            "server": "madoguchi serve, uvicorn, 1 process per history size",
            "client": "httpx, one connection per server, sequential, sizes interleaved round by round",
            "service": SERVICE,
            "sizes": list(sizes),
            "iterations": iterations,
            "warmup_iterations": warmup,
            "standing_backlog": backlog,
            "history_tickets_per_business_day": per_day,
        },
        "results": {
            "runs": runs,
            "call_next_p50_growth": round(p50_growth, 2),
            "server_cpu_per_round_growth": round(cpu_growth, 2) if cpu_growth is not None else None,
            "other_cpu_share": other_cpu_share,
        },
        "targets": {
            "p50_growth_at_most": GROWTH_ALLOWED,
            "flat": p50_growth <= GROWTH_ALLOWED,
            # On a near-empty database a sequential scan is the right plan (PostgreSQL picks it):
            # the index matters, and is checked, where the history is.
            "uses_partial_index": runs[-1]["plans"]["uses_partial_index"],
        },
    }


def _size_label(size: int) -> str:
    return f"{size // 1_000_000}M" if size >= 1_000_000 and size % 1_000_000 == 0 else f"{size:,}"


def _p50_p99_by_size(runs: Sequence[dict[str, Any]], request: str) -> str:
    parts = []
    for run in runs:
        latency = run["latency"][request]
        parts.append(f"{_size_label(run['history_tickets'])}: {latency['p50_ms']:.0f}/{latency['p99_ms']:.0f}")
    return ", ".join(parts)


def table_entry(data: dict[str, Any]) -> dict[str, Any]:
    runs, targets = data["results"]["runs"], data["targets"]
    index = f"{PARTIAL_INDEX} used" if targets["uses_partial_index"] else f"**{PARTIAL_INDEX} NOT used**"
    return {
        "call_next": {
            "result": f"call-next p50/p99 ms by history: {_p50_p99_by_size(runs, 'call_next')}; {index}",
            "met": targets["flat"] and targets["uses_partial_index"],
        },
        "issue": {"result": f"issue p50/p99 ms by history: {_p50_p99_by_size(runs, 'issue')}", "met": None},
    }


def to_markdown(data: dict[str, Any]) -> str:
    parameters, results, targets = data["parameters"], data["results"], data["targets"]
    rows = []
    for run in results["runs"]:
        for name in ("call_next", "issue", "complete"):
            latency = run["latency"][name]
            rows.append(
                [
                    f"{run['history_tickets']:,}",
                    name.replace("_", "-"),
                    latency["p50_ms"],
                    latency["p90_ms"],
                    latency["p99_ms"],
                    latency["max_ms"],
                    latency["count"],
                ]
            )
    setup = markdown_table(
        ["history tickets", "business days", "insert s", "database MB", "server CPU ms per round"],
        [
            [
                f"{run['history_tickets']:,}",
                run["history"]["business_days"],
                run["history"]["insert_seconds"],
                round(run["database_bytes"] / 1e6, 1),
                run["server_cpu_ms_per_round"],
            ]
            for run in results["runs"]
        ],
    )
    plans = []
    for run in results["runs"]:
        head = run["plans"]["head_query"]
        head_plan = " / ".join(head["plan"]) if head else "not found"
        plans.append(f"**History {run['history_tickets']:,}**: queue-head query plan: `{head_plan}`")
        for label in ("call_next", "issue") if run["history_tickets"] else ():
            for statement in run["plans"][f"{label}_reading_history"]:
                sql, plan = statement["sql"][:220], " / ".join(statement["plan"])
                plans.append(f"- {label.replace('_', '-')} statement reading history: `{sql}…` → `{plan}`")
    verdict = "flat" if targets["flat"] else "GROWS"
    index = "used by the queue-head query at the largest history" if targets["uses_partial_index"] else "NOT used"
    latency_table = markdown_table(["history tickets", "request", "p50 ms", "p90 ms", "p99 ms", "max ms", "n"], rows)
    return f"""# Call-next latency against history

{machine_markdown(data["machine"])}

{parameters["server"]}, {parameters["database"]}; client {parameters["client"]}. Per history size:
{parameters["warmup_iterations"]} warm-up then {parameters["iterations"]} rounds of issue → call-next → complete
at one counter serving `{parameters["service"]}`, with {parameters["standing_backlog"]} tickets always waiting.
History: {parameters["history_tickets_per_business_day"]} finished tickets per past business day
(one stop and one event each), bulk-inserted with SQL.

{setup}

{latency_table}

Call-next p50 at the largest history / at the smallest: **{results["call_next_p50_growth"]}**
(allowed ≤ {targets["p50_growth_at_most"]}: {verdict}); server CPU per round, same ratio:
**{results["server_cpu_per_round_growth"]}**. Other processes used {results["other_cpu_share"]} cores meanwhile
(2 would be a machine fully taken by others). Partial index `{PARTIAL_INDEX}`: {index}.

## Query plans (EXPLAIN of the statements call-next and issue send)

Below each size: its queue-head plan, then any statement whose plan reads history (a full scan of
stop, ticket or event, or the completed-stops index searched by service alone).

{chr(10).join(plans)}

Full statements and plans are in the JSON file next to this one.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", help="comma-separated history sizes (default 0,10000,1000000; --quick 0,10000)")
    parser.add_argument(
        "--iterations", type=int, default=None, help="measured rounds per size (default 300, --quick 50)"
    )
    parser.add_argument("--warmup", type=int, default=10, help="unmeasured rounds first (default 10)")
    parser.add_argument("--backlog", type=int, default=20, help="tickets kept waiting in the queue (default 20)")
    parser.add_argument("--per-day", type=int, default=1500, help="history tickets per business day (default 1500)")
    parser.add_argument("--quick", action="store_true", help="a short smoke run; results go to bench/results/quick/")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep databases and server logs in DIR")
    parser.add_argument(
        "--database-url", help="postgresql://user@host:port/name: new databases on that server instead of SQLite"
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    sizes = (
        tuple(int(size) for size in args.sizes.split(","))
        if args.sizes
        else (QUICK_SIZES if args.quick else FULL_SIZES)
    )
    iterations = args.iterations if args.iterations is not None else (50 if args.quick else 300)
    data = run(
        sizes=sizes,
        postgresql_url=args.database_url,
        keep_in=args.keep,
        iterations=iterations,
        warmup=args.warmup,
        backlog=args.backlog,
        per_day=args.per_day,
    )
    data["quick"] = args.quick
    data["table"] = table_entry(data)
    name = NAME if args.database_url is None else f"{NAME}-postgresql"
    json_path, markdown_path = write_results(name, data, to_markdown(data), quick=args.quick)
    print(to_markdown(data))
    print(f"Wrote {json_path} and {markdown_path}")
    return 0 if data["table"]["call_next"]["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
