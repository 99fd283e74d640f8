"""Run every benchmark present in bench/, then refresh the table in bench/README.md.

    .venv/bin/python -m bench.run_all                 # full runs (several minutes), committed results
    .venv/bin/python -m bench.run_all --quick         # smoke runs; results in bench/results/quick/
    .venv/bin/python -m bench.run_all --table-only    # only rebuild the README table from the JSON

The table lists every benchmark the project has, run or not. A benchmark script `bench/<module>.py`
writes bench/results/<result>.json with a "table" object: for each row key below,
{"result": "<one line>", "met": true | false | null}.
"""

import argparse
import importlib.util
import json
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from bench.harness import BENCH_DIR, PROJECT_DIR, RESULTS_DIR, results_dir

README = BENCH_DIR / "README.md"
TABLE_BEGIN = "<!-- benchmark-table:begin (bench/run_all.py rewrites this part) -->"
TABLE_END = "<!-- benchmark-table:end -->"


@dataclass(frozen=True)
class Row:
    benchmark: str  # the results file: bench/results/<benchmark>.json
    key: str  # the row in that file's "table"
    what: str
    target: str
    run: str | None = None  # when this row comes from other arguments than the benchmark's default run


@dataclass(frozen=True)
class Benchmark:
    module: str  # bench/<module>.py
    run: str
    rows: tuple[Row, ...]
    extra_args: tuple[str, ...] = ()


BENCHMARKS = (
    Benchmark(
        module="issue_throughput",
        run="`.venv/bin/python -m bench.issue_throughput`",
        rows=(
            Row(
                "issue_throughput",
                "ratio",
                "Ticket issue (`POST /api/v1/branches/honcho/tickets`) vs `GET /healthz`, side by side with wrk, "
                "16 connections, SQLite, one process; every number distinct",
                "issue/healthz ≥ 0.5; numbers distinct; no errors",
            ),
            Row(
                "issue_throughput-c8",
                "ratio",
                "Same at 8 connections (diagnostic: half the write-lock contention)",
                "issue/healthz ≥ 0.5",
                run="`.venv/bin/python -m bench.issue_throughput --connections 8`",
            ),
            Row(
                "issue_throughput-postgresql",
                "ratio",
                "Same on PostgreSQL, 16 connections, one process",
                "issue/healthz ≥ 0.35",
                run="`.venv/bin/python -m bench.issue_throughput --database-url postgresql://postgres@127.0.0.1:5432/bench`",
            ),
            Row(
                "issue_throughput-scaling",
                "scaling",
                "Ticket issue with two server processes on one PostgreSQL database against one process, "
                "16 connections; every number distinct",
                "two processes ≥ 1.6× one; 0 duplicates",
                run="`.venv/bin/python -m bench.issue_throughput --scaling --database-url postgresql://postgres@127.0.0.1:5432/bench`",
            ),
        ),
    ),
    Benchmark(
        module="call_next_history",
        run="`.venv/bin/python -m bench.call_next_history`",
        rows=(
            Row(
                "call_next_history",
                "call_next",
                "`call-next` latency with 0, 10,000 and 1,000,000 past tickets (SQLite); "
                "EXPLAIN of the queue-head query",
                "does not grow with history (p50 at 1M ≤ 1.5× empty); uses ix_stop_waiting_queue",
            ),
            Row(
                "call_next_history",
                "issue",
                "Ticket issue latency, same runs (the response computes position and wait estimate)",
                "none yet (should stay flat too)",
            ),
            Row(
                "call_next_history-postgresql",
                "call_next",
                "`call-next` latency against history on PostgreSQL (one server process)",
                "does not grow with history; uses ix_stop_waiting_queue",
                run="`.venv/bin/python -m bench.call_next_history --database-url postgresql://postgres@127.0.0.1:5432/bench`",
            ),
        ),
    ),
    Benchmark(
        module="history_flat",
        run="`.venv/bin/python -m bench.history_flat`",
        rows=(
            Row(
                "history_flat",
                "flat",
                "Board snapshot (display WebSocket), daily report and `GET /queues` on an empty database vs "
                "a year of history (500,000 tickets, ~3M events), SQLite; EXPLAIN of every event-log read",
                "p50 within 1.2× of empty; no unbounded read of the event log",
            ),
            Row(
                "history_flat-postgresql",
                "flat",
                "Same on PostgreSQL (one server process per size)",
                "p50 within 1.2× of empty; no unbounded read of the event log",
                run="`.venv/bin/python -m bench.history_flat --database-url postgresql://postgres@127.0.0.1:5432/bench`",
            ),
        ),
    ),
    Benchmark(
        module="realtime_latency",
        run="`.venv/bin/python -m bench.realtime_latency`",
        rows=(
            Row(
                "realtime_latency",
                "call_event_500",
                "Call → `ticket.called` event at the display, 500 WebSocket clients, SQLite, one process",
                "p99 < 50 ms",
            ),
            Row(
                "realtime_latency",
                "call_event_1000_pg",
                "Call → event, 1,000 clients on PostgreSQL, two server processes",
                "p99 < 150 ms",
                run="`.venv/bin/python -m bench.realtime_latency "
                "--postgresql-url postgresql://postgres@127.0.0.1:5432/test` (a new database is made and dropped)",
            ),
            Row(
                "realtime_latency",
                "memory_1000",
                "Server memory (RSS) with 1,000 display clients connected, SQLite, one process",
                "≤ 250 MiB",
            ),
            Row(
                "realtime_latency",
                "audio_ready",
                "Call → announcement audio ready to play",
                "p95 < 300 ms",
            ),
        ),
    ),
    Benchmark(
        module="edge_latency",
        run="`.venv/bin/python -m bench.edge_latency`",
        rows=(
            Row(
                "edge_latency",
                "call_to_phone",
                "Call → the called ticket's status page through the public edge, 1,000 status pages open "
                "(city hall on SQLite; also the others' new positions and the edge's memory per 1,000 tickets)",
                "p99 < 1 s",
            ),
        ),
    ),
    Benchmark(
        module="simulate",
        run="`.venv/bin/python -m bench.simulate --day peak --speed 20`",
        extra_args=("--day", "peak", "--speed", "20"),
        rows=(
            Row(
                "simulation",
                "peak-sqlite-1p",
                "A simulated peak day (1 April, ≥ 3,000 visitors) through the real API on SQLite: invariants, KPIs, "
                "wait-estimate error",
                "every invariant holds; estimate beats naive",
            ),
            Row(
                "simulation",
                "monday-sqlite-1p",
                "A simulated Monday (533 visitors), SQLite, one process",
                "every invariant holds; estimate beats naive",
                run="`.venv/bin/python -m bench.simulate --day monday --speed 60`",
            ),
            Row(
                "simulation",
                "monday-postgresql-2p",
                "The same Monday on PostgreSQL with two server processes",
                "every invariant holds; estimate beats naive",
                run="`.venv/bin/python -m bench.simulate --day monday --speed 60 --processes 2 "
                "--database-url postgresql://postgres@127.0.0.1:5432/bench`",
            ),
            Row(
                "simulation",
                "peak-postgresql-2p",
                "The same day on PostgreSQL with two server processes",
                "every invariant holds; estimate beats naive",
                run="`.venv/bin/python -m bench.simulate --day peak --speed 20 --processes 2 "
                "--database-url postgresql://postgres@127.0.0.1:5432/bench`",
            ),
        ),
    ),
    Benchmark(
        module="admin_edit",
        run="`.venv/bin/python -m bench.admin_edit`",
        rows=(
            Row(
                "admin_edit",
                "lock",
                "An administrator's one-field edit (a service's minutes) on the demo city hall, SQLite: how long it "
                "holds the write lock (no ticket issued, no call meanwhile), from the server's lock histogram",
                "write lock held ≤ 5 ms (nine edits in ten)",
            ),
        ),
    ),
    Benchmark(
        module="route_visits",
        run="`.venv/bin/python -m bench.route_visits`",
        rows=(
            Row(
                "route_visits",
                "calls",
                "Calls and walking per demo life event (all answers yes), before and after one visit per "
                "window: a real server, staff working each ticket to the end",
                "fewer calls; one call per window visit; no window group revisited",
            ),
        ),
    ),
    Benchmark(
        module="drills",
        run="`.venv/bin/python -m bench.drills --database-url postgresql://postgres@127.0.0.1:5432/bench`",
        rows=(
            Row(
                "drills",
                "drills",
                "Fault drills, each a simulated day: SIGKILL + restart (SQLite), a display cut off for a minute, "
                "printer paper-out and offline, a stopped process and killed LISTEN connections "
                "(PostgreSQL, 2 processes)",
                "every invariant holds in every drill",
            ),
        ),
    ),
    Benchmark(
        module="english_voice",
        run="`.venv/bin/python -m bench.english_voice`",
        rows=(
            Row(
                "english_voice",
                "english_voice",
                "English voice: first synthesis of a call's English sentence, espeak-ng vs Festival's HTS voice, "
                "and the whole call for an English-language ticket (chime, Japanese ×2, English) with Festival, "
                "one at a time and two at once (no server: a speech process's work)",
                "a call ready within 1 s (p95) with Festival",
            ),
        ),
    ),
)


def present(benchmark: Benchmark) -> bool:
    return importlib.util.find_spec(f"bench.{benchmark.module}") is not None


def load_result(name: str) -> dict[str, Any] | None:
    path = RESULTS_DIR / f"{name}.json"
    if not path.exists():
        return None
    data: dict[str, Any] = json.loads(path.read_text())
    return data


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_table() -> str:
    lines = [
        "| Benchmark | What | How to run | Latest result | Target | Met | Measured |",
        "|---|---|---|---|---|---|---|",
    ]
    for benchmark in BENCHMARKS:
        for row in benchmark.rows:
            data = load_result(row.benchmark)
            entry = (data or {}).get("table", {}).get(row.key)
            if not present(benchmark):
                result, met, measured = "not built yet", "—", "—"
            elif entry is None:
                result, met, measured = "not run yet", "—", "—"
            else:
                assert data is not None
                result = entry["result"]
                met = {True: "✅ yes", False: "❌ no", None: "—"}[entry.get("met")]
                machine = data.get("machine", {})
                measured = f"{machine.get('date', '?')[:10]}, {machine.get('cpu_count', '?')} CPU"
            lines.append(
                "| "
                + " | ".join(
                    _cell(cell)
                    for cell in (
                        f"`{row.benchmark}`",
                        row.what,
                        row.run or benchmark.run,
                        result,
                        row.target,
                        met,
                        measured,
                    )
                )
                + " |"
            )
    return "\n".join(lines)


def refresh_readme() -> None:
    text = README.read_text()
    before, begin, rest = text.partition(TABLE_BEGIN)
    _, end, after = rest.partition(TABLE_END)
    if not begin or not end:
        raise SystemExit(f"{README} lacks the table markers {TABLE_BEGIN!r} … {TABLE_END!r}")
    README.write_text(f"{before}{TABLE_BEGIN}\n{render_table()}\n{TABLE_END}{after}")


def run_benchmark(benchmark: Benchmark, *, quick: bool) -> bool:
    """Run one script; True when it wrote its results (whether or not it met its targets)."""
    command = [sys.executable, "-m", f"bench.{benchmark.module}", *benchmark.extra_args]
    if quick:
        command.append("--quick")
    outputs = {results_dir(quick=quick) / f"{row.benchmark}.json" for row in benchmark.rows if row.run is None}
    before = {path: path.stat().st_mtime if path.exists() else None for path in outputs}
    print(f"\n=== {' '.join(command[1:])}", flush=True)
    # The exit status only says whether targets were met; a crash writes no results.
    subprocess.run(command, cwd=PROJECT_DIR, check=False)
    return all(path.exists() and path.stat().st_mtime != before[path] for path in outputs)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="short smoke runs of every benchmark")
    parser.add_argument("--only", nargs="+", metavar="MODULE", help="run only these benchmarks")
    parser.add_argument("--table-only", action="store_true", help="only rebuild the README table")
    args = parser.parse_args(argv)
    failed: list[str] = []
    if not args.table_only:
        for benchmark in BENCHMARKS:
            if args.only and benchmark.module not in args.only:
                continue
            if not present(benchmark):
                print(f"=== bench/{benchmark.module}.py is not there yet; skipped")
                continue
            if not run_benchmark(benchmark, quick=args.quick):
                failed.append(benchmark.module)
    refresh_readme()
    print(f"\nRefreshed the table in {README.relative_to(PROJECT_DIR)}")
    if failed:
        print(f"Wrote no results: {', '.join(failed)}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
