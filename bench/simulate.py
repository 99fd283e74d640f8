"""A simulated busy day at the demo city hall, through the real API: `madoguchi simulate`.

    madoguchi simulate [--day normal|monday|peak] [--tickets N] [--speed X] [--seed S]
                       [--database-url URL] [--processes 1|2] [--keep DIR] [--quick]

Starts real `madoguchi serve` processes on a fresh database (a SQLite file, or a new database
on the PostgreSQL server given by --database-url) and lives one business day through them:
visitors arrive by the demo city hall's hourly shape and life-event mix and answer the kiosk's
questions; staff open counters and back-office desks by a staffing plan, call, serve, recall,
transfer, return and complete; two display boards follow the WebSocket stream all day.

Time: the servers run on a drill clock (MADOGUCHI_DRILL_CLOCK, see server/drill_clock.py) that
starts at 08:20 on the simulated date and runs --speed times faster than real time; the
simulator sleeps on the same clock. So every stored timestamp, business day, opening hour and
wait estimate is in simulated time, and the KPIs need no rescaling. HTTP latency is real, so it
counts --speed times over in simulated time: keep --speed low enough that a request's latency
is small next to a service time (60: 1 s of latency = 1 simulated minute).

At the end it prints the KPIs and the invariants, writes bench/results/simulation.json/.md
(the run's entry, keyed by day, database and processes; --quick: bench/results/quick/), and
exits 1 if any invariant failed.
"""

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.harness import machine_info, machine_markdown, markdown_table, results_dir
from bench.simulation.checks import DayResult
from bench.simulation.city import DAYS
from bench.simulation.day import Options, run_day

RESULTS_NAME = "simulation"
QUICK_TICKETS = 150


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="madoguchi simulate", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--day", choices=sorted(DAYS), default="normal")
    parser.add_argument("--tickets", type=int, help="visitors (default: the day's estimate from the demand data)")
    parser.add_argument("--speed", type=float, default=60.0, help="simulated seconds per real second (default 60)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--database-url",
        help="postgresql://… (a new database is created on that server) or sqlite:///new-file.db; default: a temporary "
        "SQLite file",
    )
    parser.add_argument("--processes", type=int, choices=(1, 2), default=1, help="server processes (2: PostgreSQL)")
    parser.add_argument("--displays", type=int, default=2, help="display boards following the stream (at least 2)")
    parser.add_argument("--keep", type=Path, metavar="DIR", help="keep the database and server logs in DIR")
    parser.add_argument(
        "--quick", action="store_true", help="a smoke run: 150 visitors unless --tickets; bench/results/quick/"
    )
    parser.add_argument("--no-results", action="store_true", help="print only; write no results file")
    return parser


def options_from(arguments: argparse.Namespace) -> Options:
    return Options(
        day=arguments.day,
        tickets=arguments.tickets or (QUICK_TICKETS if arguments.quick else None),
        speed=arguments.speed,
        seed=arguments.seed,
        database_url=arguments.database_url,
        processes=arguments.processes,
        displays=max(arguments.displays, 2),
        workdir=arguments.keep,
        keep=arguments.keep is not None,
    )


def run_key(result: DayResult) -> str:
    meta = result.meta
    return f"{meta['day']}-{meta['database']}-{meta['processes']}p"


def render_text(result: DayResult) -> str:
    meta, kpis = result.meta, result.kpis
    lines = [
        f"Simulated {meta['day']} day {meta['date']} ({meta['why']}): {kpis['tickets']} tickets "
        f"({kpis['life_event_tickets']} life events, {kpis['priority_tickets']} priority), {kpis['stops']} stops, "
        f"{kpis['counters_staffed']} counters staffed ({kpis['temporary_counters']} temporary); "
        f"{meta['database']}, {meta['processes']} process(es), speed {meta['speed']:g}×, "
        f"{meta['real_seconds']:.0f} s real, {meta['requests']} requests "
        f"({meta.get('busy_retries', 0)} retried after a 503 busy)",
        "",
        "Waits from waiting to call, minutes (citizen-facing stops), by queue:",
    ]
    for prefix, stats in kpis["wait_minutes_by_queue"].items():
        lines.append(f"  {prefix}: {_stats(stats)}")
    lines.append("First call after issue, minutes, by ticket prefix:")
    for prefix, stats in kpis["first_call_wait_minutes_by_ticket_prefix"].items():
        lines.append(f"  {prefix}: {_stats(stats)}")
    lines.append("Stay, issue to done, minutes:")
    for what, stats in kpis["stay_minutes"].items():
        lines.append(f"  {what}: {_stats(stats)}")
    lines += [
        f"Staff minutes busy by role: {kpis['staff_busy_minutes_by_role']}; open: {kpis['staff_open_minutes_by_role']}",
        f"No-shows {kpis['no_shows']} ({kpis['no_show_percent']} %), recalls {kpis['recalls']}, transfers "
        f"{kpis['transfers']}, returns {kpis['returns']}; last event {kpis['last_event_local']} "
        f"(overtime {kpis['overtime_minutes']} min)",
        "",
        "Wait estimate at issue vs actual wait to first call (minutes):",
    ]
    for name, errors in result.estimator["by_estimator"].items():
        lines.append(f"  {name}: {_stats(errors)}")
    lines.append("  server (current) by ticket prefix:")
    for prefix, errors in result.estimator["server_by_ticket_prefix"].items():
        lines.append(f"    {prefix}: {_stats(errors)}")
    lines += ["", "Invariants:"]
    lines += [f"  [{'PASS' if c.ok else 'FAIL'}] {c.name}: {c.detail}" for c in result.checks]
    if result.notes:
        lines += ["", "Notes:", *(f"  {note}" for note in result.notes)]
    lines.append("")
    lines.append("ALL INVARIANTS HOLD" if result.ok else f"INVARIANTS FAILED: {len(result.failures())}")
    return "\n".join(lines)


def _stats(stats: dict[str, Any]) -> str:
    return ", ".join(f"{key} {value}" for key, value in stats.items())


def result_entry(result: DayResult) -> dict[str, Any]:
    return {
        "ok": result.ok,
        "meta": result.meta,
        "kpis": result.kpis,
        "estimator": result.estimator,
        "checks": [{"name": c.name, "ok": c.ok, "detail": c.detail} for c in result.checks],
        "notes": result.notes,
        "faults": result.faults,
    }


def write_results(result: DayResult, *, quick: bool) -> Path:
    """Adds (or replaces) this run's entry in simulation.json and rewrites simulation.md."""
    directory = results_dir(quick=quick)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{RESULTS_NAME}.json"
    data: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    runs = data.setdefault("runs", {})
    runs[run_key(result)] = {**result_entry(result), "machine": machine_info()}
    data["machine"] = runs[run_key(result)]["machine"]
    data["table"] = table_rows(runs)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    (directory / f"{RESULTS_NAME}.md").write_text(render_markdown(runs) + "\n")
    return path


def _estimator_line(entry: dict[str, Any]) -> str:
    errors = entry["estimator"]["by_estimator"]
    current, naive = errors.get("server (current)", {}), errors.get("naive: ahead × configured minutes", {})
    return (
        f"MAE {current.get('mae')} min (p90 {current.get('p90_abs_error')}) vs naive {naive.get('mae')} "
        f"(p90 {naive.get('p90_abs_error')})"
    )


def table_rows(runs: dict[str, Any]) -> dict[str, Any]:
    """Rows for bench/README.md's table (see bench/run_all.py)."""
    rows = {}
    for key, entry in runs.items():
        kpis, meta = entry["kpis"], entry["meta"]
        waits = kpis["first_call_wait_minutes_by_ticket_prefix"]
        worst = max((stats.get("p90", 0) for stats in waits.values()), default=0)
        rows[key] = {
            "result": f"{kpis['tickets']} tickets, {meta['requests']} requests in {meta['real_seconds']:.0f} s; "
            f"{sum(1 for c in entry['checks'] if c['ok'])}/{len(entry['checks'])} invariants hold; worst p90 first "
            f"wait {worst} min; estimate {_estimator_line(entry)}",
            "met": entry["ok"],
        }
    return rows


def render_markdown(runs: dict[str, Any]) -> str:
    parts = [
        "# Simulated days",
        "",
        "Written by `bench/simulate.py` (`madoguchi simulate`); each run replaces its own entry. Times are "
        "simulated minutes (the servers ran on the drill clock); latencies are real milliseconds.",
    ]
    for key, entry in sorted(runs.items()):
        meta, kpis = entry["meta"], entry["kpis"]
        parts += [
            "",
            f"## {key}: {'all invariants hold' if entry['ok'] else 'INVARIANTS FAILED'}",
            "",
            f"{meta['why']}, {meta['date']}: {kpis['tickets']} tickets ({kpis['life_event_tickets']} life events, "
            f"{kpis['priority_tickets']} priority), {kpis['stops']} stops at {kpis['counters_staffed']} counters "
            f"({kpis['temporary_counters']} temporary); {meta['database']}, {meta['processes']} server process(es), "
            f"speed {meta['speed']:g}×, {meta['real_seconds']:.0f} s real, {meta['requests']} requests "
            f"({meta.get('busy_retries', 0)} retried after a 503 busy), seed "
            f"{meta['seed']}. " + machine_markdown(entry["machine"]),
            "",
            "### Waits and stays (simulated minutes)",
            "",
            markdown_table(
                ["what", "n", "mean", "p50", "p90", "max"],
                [[f"wait at queue {prefix}", *_cells(stats)] for prefix, stats in kpis["wait_minutes_by_queue"].items()]
                + [
                    [f"first call, tickets {prefix}", *_cells(stats)]
                    for prefix, stats in kpis["first_call_wait_minutes_by_ticket_prefix"].items()
                ]
                + [[f"stay, {what}", *_cells(stats)] for what, stats in kpis["stay_minutes"].items()],
            ),
            "",
            f"Staff minutes busy by role {kpis['staff_busy_minutes_by_role']}, "
            f"open {kpis['staff_open_minutes_by_role']}; no-shows {kpis['no_shows']} ({kpis['no_show_percent']} %), "
            f"recalls {kpis['recalls']}, transfers "
            f"{kpis['transfers']}, returns {kpis['returns']}; last event {kpis['last_event_local']} (overtime "
            f"{kpis['overtime_minutes']} min).",
            "",
            "### Wait estimate at issue vs actual wait to the first call",
            "",
            f"Actual waits: {_stats(entry['estimator']['actual_wait_minutes'])}.",
            "",
            markdown_table(
                ["estimator", "n", "MAE min", "p90 abs error min", "bias min"],
                [
                    [name, e.get("n"), e.get("mae"), e.get("p90_abs_error"), e.get("bias")]
                    for name, e in entry["estimator"]["by_estimator"].items()
                ],
            ),
            "",
            "Server estimate by ticket prefix: "
            + "; ".join(
                f"{prefix} n {e.get('n')} MAE {e.get('mae')} bias {e.get('bias')}"
                for prefix, e in entry["estimator"].get("server_by_ticket_prefix", {}).items()
            )
            + ".",
            "",
            "### Invariants",
            "",
            *(f"- {'✅' if c['ok'] else '❌'} {c['name']}: {c['detail']}" for c in entry["checks"]),
            "",
            "Latency (real ms): "
            + "; ".join(f"{label} p50 {v['p50_ms']} p99 {v['p99_ms']}" for label, v in meta["latency_real_ms"].items()),
        ]
        if entry["notes"]:
            parts += ["", "Notes: " + "; ".join(entry["notes"])]
    return "\n".join(parts)


def _cells(stats: dict[str, Any]) -> list[Any]:
    return [stats.get(key, "") for key in ("n", "mean", "p50", "p90", "max")]


def main(argv: Sequence[str] | None = None) -> int:
    arguments = build_parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    result = run_day(options_from(arguments))
    print(render_text(result), flush=True)
    if not arguments.no_results:
        print(f"\nResults: {write_results(result, quick=arguments.quick)}")
    return 0 if result.ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
