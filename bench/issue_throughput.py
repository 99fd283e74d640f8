"""Ticket issuing throughput against /healthz, same tool and connections, one real server.

    .venv/bin/python -m bench.issue_throughput            # wrk, 16 connections, 20 s per endpoint
    .venv/bin/python -m bench.issue_throughput --quick    # 3 s per endpoint, results in bench/results/quick/

/healthz (one `SELECT 1`) is the ceiling of this server process on this machine; the ratio
issue/healthz says how much of it a full ticket issue keeps, independent of the machine.
"""

import argparse
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sqlalchemy import text

from bench.harness import (
    BRANCH,
    fresh_database,
    machine_info,
    machine_markdown,
    markdown_table,
    prepare_database,
    running_server,
    work_directory,
    write_results,
)
from bench.wrk import Endpoint, combine, drive, require_wrk
from server.db import create_db_engine

NAME = "issue_throughput"
TARGET_RATIO = 0.5  # SQLite, one process (issue 13)
TARGET_RATIO_POSTGRESQL = 0.35
DEFAULT_CONNECTIONS = 16
DEFAULT_ROUNDS = 4


def issue_endpoint(kiosk_token: str) -> Endpoint:
    """A kiosk issuing a certificate ticket: the request every run measures."""
    return Endpoint(
        "issue",
        "POST",
        f"/api/v1/branches/{BRANCH}/tickets",
        headers={"Authorization": f"Bearer {kiosk_token}"},
        json_body={"service": "certificate"},
    )


def check_database(database_url: str, acknowledged: int) -> dict[str, Any]:
    """Every acknowledged ticket is stored, and no number is stored twice in a day."""
    engine = create_db_engine(database_url)
    try:
        with engine.connect() as connection:
            rows = connection.execute(text("SELECT business_on, number FROM ticket")).all()
    finally:
        engine.dispose()
    stored = [(str(day), number) for day, number in rows]
    return {
        "acknowledged": acknowledged,
        "stored": len(stored),
        "stored_duplicates": len(stored) - len(set(stored)),
        "acknowledged_but_missing": max(acknowledged - len(stored), 0),
    }


def server_log_problems(log_path: Path) -> dict[str, int]:
    log = log_path.read_text(errors="replace")
    return {
        "tracebacks": log.count("Traceback (most recent call last)"),
        "http_5xx": len(re.findall(r'" 5\d\d ', log)),
    }


def run(
    *,
    connections: int,
    duration_seconds: float,
    warmup_seconds: float,
    postgresql_url: str | None,
    keep_in: Path | None,
    rounds: int = DEFAULT_ROUNDS,
) -> dict[str, Any]:
    require_wrk()
    with (
        work_directory(keep_in) as workdir,
        fresh_database(workdir, postgresql_url, "issue", keep=keep_in is not None) as url,
    ):
        accounts = prepare_database(url)
        healthz = Endpoint("healthz", "GET", "/healthz")
        issue = issue_endpoint(accounts.kiosk_token)
        log_path = workdir / "server.log"
        with running_server(url, log_path) as server:
            warmed = [
                drive(server, endpoint, connections=connections, duration_seconds=warmup_seconds)
                for endpoint in (healthz, issue)
            ]
            # Side by side: the same tool, connections and time for both endpoints, taken in turns
            # so that both meet the machine as it is (its speed drifts by more than the targets'
            # margins within a minute: other jobs on the host).
            slices: dict[str, list[dict[str, Any]]] = {healthz.name: [], issue.name: []}
            for _ in range(rounds):
                for endpoint in (healthz, issue):
                    slices[endpoint.name].append(
                        drive(server, endpoint, connections=connections, duration_seconds=duration_seconds / rounds)
                    )
            measured = {name: combine(parts) for name, parts in slices.items()}
        integrity = check_database(url, warmed[1]["ok"] + measured["issue"]["ok"])
        problems = server_log_problems(log_path)
        machine = machine_info(url)
    ratio = measured["issue"]["requests_per_second"] / measured["healthz"]["requests_per_second"]
    per_round = [
        round(issue_part["requests_per_second"] / healthz_part["requests_per_second"], 3)
        for healthz_part, issue_part in zip(slices[healthz.name], slices[issue.name], strict=True)
    ]
    # The ratio the rates would have if the server's CPU were the only limit: steadier than the
    # measured ratio when other jobs share the machine, and a ceiling for it on an idle one.
    healthz_cpu = measured["healthz"]["server_cpu_ms_per_request"]
    issue_cpu = measured["issue"]["server_cpu_ms_per_request"]
    cpu_ratio = round(healthz_cpu / issue_cpu, 3) if healthz_cpu and issue_cpu else None
    failures = measured["issue"]["failed"] + measured["healthz"]["failed"]
    intact = integrity["stored_duplicates"] == 0 and integrity["acknowledged_but_missing"] == 0
    return {
        "benchmark": NAME,
        "machine": machine,
        "parameters": {
            "database": "postgresql" if postgresql_url else "sqlite",
            "server": "madoguchi serve, uvicorn, 1 process",
            "tool": "wrk (2 threads, closed loop, keep-alive)",
            "connections": connections,
            "duration_seconds": duration_seconds,
            "rounds": rounds,
            "warmup_seconds": warmup_seconds,
            "issue_body": issue.json_body,
        },
        "results": {
            "healthz": measured["healthz"],
            "issue": measured["issue"],
            "ratio_issue_to_healthz": round(ratio, 3),
            "ratio_per_round": per_round,
            "cpu_bound_ratio": cpu_ratio,
            "integrity": integrity,
            "server_log": problems,
        },
        "targets": {
            "ratio_at_least": TARGET_RATIO_POSTGRESQL if postgresql_url else TARGET_RATIO,
            "ratio_met": ratio >= (TARGET_RATIO_POSTGRESQL if postgresql_url else TARGET_RATIO),
            "numbers_distinct": intact,
            "no_failed_requests": failures == 0,
        },
    }


TARGET_SCALING = 1.6  # two PostgreSQL processes against one (issue 13)


def run_scaling(
    *, connections: int, duration_seconds: float, warmup_seconds: float, postgresql_url: str
) -> dict[str, Any]:
    """Ticket issue with one server process, then two sharing one PostgreSQL database: the same
    tool, connections and time; a new database for each, every number checked distinct."""
    require_wrk()
    rates: dict[str, Any] = {}
    with work_directory(None) as workdir:
        for workers in (1, 2):
            with fresh_database(workdir, postgresql_url, f"scaling{workers}") as url:
                issue = issue_endpoint(prepare_database(url).kiosk_token)
                with running_server(url, workdir / f"server{workers}.log", workers=workers) as server:
                    warmed = drive(server, issue, connections=connections, duration_seconds=warmup_seconds)
                    measured = drive(server, issue, connections=connections, duration_seconds=duration_seconds)
                integrity = check_database(url, warmed["ok"] + measured["ok"])
                rates[f"processes_{workers}"] = {"issue": measured, "integrity": integrity}
                machine = machine_info(url)
    one = rates["processes_1"]["issue"]["requests_per_second"]
    two = rates["processes_2"]["issue"]["requests_per_second"]
    distinct = all(run["integrity"]["stored_duplicates"] == 0 for run in rates.values())
    intact = all(run["integrity"]["acknowledged_but_missing"] == 0 for run in rates.values())
    return {
        "benchmark": NAME,
        "machine": machine,
        "parameters": {
            "database": "postgresql",
            "server": "madoguchi serve --workers 1, then --workers 2",
            "tool": "wrk (2 threads, closed loop, keep-alive)",
            "connections": connections,
            "duration_seconds": duration_seconds,
            "warmup_seconds": warmup_seconds,
        },
        "results": {**rates, "scaling": round(two / one, 3) if one else None},
        "targets": {
            "scaling_at_least": TARGET_SCALING,
            "scaling_met": bool(one) and two / one >= TARGET_SCALING,
            "numbers_distinct": distinct and intact,
        },
    }


def scaling_table_entry(data: dict[str, Any]) -> dict[str, Any]:
    results, targets = data["results"], data["targets"]
    one, two = results["processes_1"], results["processes_2"]
    distinct = "all distinct" if targets["numbers_distinct"] else "DUPLICATES or missing"
    numbers = one["integrity"]["acknowledged"] + two["integrity"]["acknowledged"]
    text = (
        f"1 process {one['issue']['requests_per_second']:.0f} req/s, 2 processes"
        f" {two['issue']['requests_per_second']:.0f} req/s = **×{results['scaling']:.2f}**;"
        f" {numbers:,} numbers, {distinct}"
    )
    return {"scaling": {"result": text, "met": targets["scaling_met"] and targets["numbers_distinct"]}}


def scaling_markdown(data: dict[str, Any]) -> str:
    results, targets = data["results"], data["targets"]
    rows = [
        [
            workers,
            f"{run['issue']['requests_per_second']:.1f}",
            run["issue"]["latency"]["p50_ms"],
            run["issue"]["latency"]["p99_ms"],
            f"{run['integrity']['acknowledged']:,}",
            run["integrity"]["stored_duplicates"],
            run["integrity"]["acknowledged_but_missing"],
        ]
        for workers, run in ((1, results["processes_1"]), (2, results["processes_2"]))
    ]
    header = ["processes", "issue req/s", "p50 ms", "p99 ms", "acknowledged", "numbers twice", "missing"]
    verdict = "met" if targets["scaling_met"] else "NOT met"
    return f"""# Issue throughput: one PostgreSQL process against two

{machine_markdown(data["machine"])}

{data["parameters"]["server"]}; {data["parameters"]["connections"]} connections,
{data["parameters"]["duration_seconds"]} s each.

{markdown_table(header, rows)}

**Two processes / one: ×{results["scaling"]}** (target ≥ {targets["scaling_at_least"]}: {verdict}).
"""


def table_entry(data: dict[str, Any]) -> dict[str, Any]:
    results, targets = data["results"], data["targets"]
    healthz, issue = results["healthz"], results["issue"]
    rates = (
        f"issue {issue['requests_per_second']:.0f} req/s / healthz {healthz['requests_per_second']:.0f} req/s"
        f" = **{results['ratio_issue_to_healthz']:.2f}**"
    )
    latencies = (
        f"p50/p99 issue {issue['latency']['p50_ms']:.0f}/{issue['latency']['p99_ms']:.0f} ms,"
        f" healthz {healthz['latency']['p50_ms']:.0f}/{healthz['latency']['p99_ms']:.0f} ms"
    )
    cpu = f" (CPU-bound ratio {results['cpu_bound_ratio']:.2f})" if results["cpu_bound_ratio"] else ""
    distinct = "all distinct" if targets["numbers_distinct"] else "DUPLICATES"
    failures = f"; {issue['failed']:,} issue requests failed" if issue["failed"] else ""
    numbers = f"{results['integrity']['acknowledged']:,} numbers, {distinct}{failures}"
    met = targets["ratio_met"] and targets["numbers_distinct"] and targets["no_failed_requests"]
    return {"ratio": {"result": f"{rates}{cpu}; {latencies}; {numbers}", "met": met}}


def to_markdown(data: dict[str, Any]) -> str:
    parameters, results, targets = data["parameters"], data["results"], data["targets"]
    header = ["endpoint", "req/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "ok", "failed", "server CPU ms/req"]
    rows = [
        [
            f"`{row['endpoint']}`",
            f"{row['requests_per_second']:.1f}",
            row["latency"]["p50_ms"],
            row["latency"]["p90_ms"],
            row["latency"]["p99_ms"],
            row["latency"]["max_ms"],
            f"{row['ok']:,}",
            row["failed"],
            row["server_cpu_ms_per_request"],
        ]
        for row in (results["healthz"], results["issue"])
    ]
    integrity = results["integrity"]
    verdict = "met" if targets["ratio_met"] else "NOT met"
    log = results["server_log"]
    turns = f"{parameters['rounds']} turn" + ("s" if parameters["rounds"] != 1 else "")
    return f"""# Issue throughput

{machine_markdown(data["machine"])}

{parameters["server"]}, {parameters["database"]}; tool {parameters["tool"]};
{parameters["connections"]} connections, {parameters["duration_seconds"]} s per endpoint after
{parameters["warmup_seconds"]} s of warm-up each, in {turns} of each endpoint
(healthz, issue, healthz …; latency percentiles: the slowest turn's); body `{parameters["issue_body"]}`.

{markdown_table(header, rows)}

**Ratio issue / healthz: {results["ratio_issue_to_healthz"]:.3f}** (target ≥ {targets["ratio_at_least"]}: {verdict});
turn by turn: {", ".join(f"{value:.2f}" for value in results["ratio_per_round"])}.
Server CPU per healthz / per issue: {results["cpu_bound_ratio"]} (the ratio if server CPU were the only limit).

Tickets: {integrity["acknowledged"]:,} acknowledged, {integrity["stored"]:,} stored
({integrity["stored_duplicates"]} numbers twice, {integrity["acknowledged_but_missing"]} missing).
Server log: {log["tracebacks"]} tracebacks, {log["http_5xx"]} responses 5xx.
"""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--connections",
        type=int,
        default=DEFAULT_CONNECTIONS,
        help="connections, the same for both endpoints (default 16)",
    )
    parser.add_argument("--duration", type=float, default=None, help="seconds per endpoint (default 20, --quick 3)")
    parser.add_argument(
        "--warmup", type=float, default=None, help="warm-up seconds per endpoint (default 2, --quick 1)"
    )
    parser.add_argument(
        "--rounds", type=int, default=None, help="turns of each endpoint, taken alternately (default 4, --quick 1)"
    )
    parser.add_argument("--quick", action="store_true", help="a short smoke run; results go to bench/results/quick/")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the database and server log in DIR")
    parser.add_argument(
        "--database-url",
        help="postgresql://user@host:port/name: run on a new database on that server instead of SQLite",
    )
    parser.add_argument(
        "--scaling",
        action="store_true",
        help="with --database-url: issue with one server process, then two (issue_throughput-scaling)",
    )
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    duration = args.duration if args.duration is not None else (3.0 if args.quick else 20.0)
    warmup = args.warmup if args.warmup is not None else (1.0 if args.quick else 2.0)
    if args.scaling:
        if not args.database_url:
            raise SystemExit("--scaling needs --database-url postgresql://…: SQLite runs one process")
        data = run_scaling(
            connections=args.connections,
            duration_seconds=duration,
            warmup_seconds=warmup,
            postgresql_url=args.database_url,
        )
        data["quick"] = args.quick
        data["table"] = scaling_table_entry(data)
        json_path, markdown_path = write_results(f"{NAME}-scaling", data, scaling_markdown(data), quick=args.quick)
        print(scaling_markdown(data))
        print(f"Wrote {json_path} and {markdown_path}")
        return 0 if data["table"]["scaling"]["met"] else 1
    data = run(
        connections=args.connections,
        duration_seconds=duration,
        warmup_seconds=warmup,
        postgresql_url=args.database_url,
        keep_in=args.keep,
        rounds=args.rounds if args.rounds is not None else (1 if args.quick else DEFAULT_ROUNDS),
    )
    data["quick"] = args.quick
    data["table"] = table_entry(data)
    # The committed headline is SQLite at 16 connections; other runs get their own files.
    name = (
        NAME
        + ("-postgresql" if args.database_url else "")
        + (f"-c{args.connections}" if args.connections != DEFAULT_CONNECTIONS else "")
    )
    json_path, markdown_path = write_results(name, data, to_markdown(data), quick=args.quick)
    print(to_markdown(data))
    print(f"Wrote {json_path} and {markdown_path}")
    return 0 if data["table"]["ratio"]["met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
