"""What every benchmark shares: a real `madoguchi serve` subprocess, throwaway databases,
percentiles, machine facts and the results files."""

import json
import math
import os
import platform
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import text
from sqlalchemy.engine import make_url

from server.db import create_db_engine, normalise_url

BENCH_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BENCH_DIR.parent
RESULTS_DIR = BENCH_DIR / "results"
# Short runs are smoke tests: they never overwrite the committed full results.
QUICK_RESULTS_DIR = RESULTS_DIR / "quick"
BRANCH = "honcho"
STAFF_USERNAME = "bench-staff"
STAFF_PASSWORD = "bench-staff-password"


# --- the madoguchi command -----------------------------------------------------------------


def madoguchi_command() -> str:
    """The console script installed next to the running interpreter (the project's venv)."""
    candidate = Path(sys.executable).parent / "madoguchi"
    if not candidate.exists():
        raise SystemExit(f"{candidate} not found: run the benchmarks with the project's .venv/bin/python")
    return str(candidate)


def madoguchi(database_url: str, *args: str) -> str:
    """Run one `madoguchi` subcommand against a database; returns its stdout."""
    env = {**os.environ, "MADOGUCHI_DATABASE_URL": database_url}
    completed = subprocess.run(
        [madoguchi_command(), *args], env=env, cwd=PROJECT_DIR, capture_output=True, text=True, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"madoguchi {' '.join(args[:2])} failed:\n{completed.stderr}")
    return completed.stdout


@dataclass(frozen=True)
class Accounts:
    kiosk_token: str
    staff_username: str | None = None
    staff_password: str | None = None


def prepare_database(database_url: str, *, with_staff: bool = False) -> Accounts:
    """`madoguchi init` with the demo city hall, one kiosk device and optionally one staff account."""
    madoguchi(database_url, "init")
    kiosk_token = madoguchi(database_url, "device", "add", "bench", "--kind", "kiosk").strip().splitlines()[0]
    if not with_staff:
        return Accounts(kiosk_token=kiosk_token)
    madoguchi(
        database_url,
        "staff",
        "add",
        STAFF_USERNAME,
        "--role",
        "municipal",
        "--password",
        STAFF_PASSWORD,
        "--branch",
        BRANCH,
    )
    return Accounts(kiosk_token=kiosk_token, staff_username=STAFF_USERNAME, staff_password=STAFF_PASSWORD)


# --- databases -----------------------------------------------------------------------------


def is_postgresql(database_url: str) -> bool:
    return database_url.startswith(("postgresql", "postgres:"))


@contextmanager
def work_directory(keep_in: Path | None) -> Iterator[Path]:
    """Where databases and server logs go: a temporary directory, or `keep_in` to inspect them later."""
    if keep_in is not None:
        keep_in.mkdir(parents=True, exist_ok=True)
        yield keep_in
        return
    with tempfile.TemporaryDirectory(prefix="madoguchi-bench-") as temporary:
        yield Path(temporary)


@contextmanager
def fresh_database(workdir: Path, postgresql_url: str | None, label: str, *, keep: bool = False) -> Iterator[str]:
    """A new empty database: a SQLite file in workdir, or a new database on the given PostgreSQL server."""
    if postgresql_url is None:
        path = workdir / f"{label}.db"
        for stale in (path, path.with_name(f"{path.name}-wal"), path.with_name(f"{path.name}-shm")):
            stale.unlink(missing_ok=True)
        yield f"sqlite:///{path}"
        return
    url = make_url(normalise_url(postgresql_url))
    name = f"{url.database or 'bench'}_{label}_{uuid.uuid4().hex[:6]}".lower()
    admin = create_db_engine(
        url.set(database="postgres").render_as_string(hide_password=False), isolation_level="AUTOCOMMIT", pool_size=1
    )
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        if not keep:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


# --- the server ----------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@dataclass(frozen=True)
class RunningServer:
    base_url: str
    pid: int
    log_path: Path

    def cpu_seconds(self) -> float | None:
        """User + system CPU time the server process has used so far (Linux), else None."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            return None
        # Fields 14 and 15 of stat(5), counted after the command name.
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def machine_busy_cpu_seconds() -> float | None:
    """CPU time every process on the machine has used since boot (Linux /proc/stat), else None."""
    try:
        fields = [int(value) for value in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    except (OSError, ValueError):
        return None
    # user nice system idle iowait irq softirq steal ...: everything but idle and iowait is busy.
    return (sum(fields[:8]) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def load_average() -> list[float] | None:
    try:
        return [round(value, 2) for value in os.getloadavg()]
    except OSError:
        return None


@contextmanager
def running_server(
    database_url: str,
    log_path: Path,
    *,
    workers: int = 1,
    startup_seconds: float = 60,
    environment: dict[str, str] | None = None,
) -> Iterator[RunningServer]:
    """`madoguchi serve` as a subprocess (the shipped default: uvicorn, one process), stopped on
    exit; `environment`: more settings (MADOGUCHI_METRICS …)."""
    port = free_port()
    env = {
        **os.environ,
        "MADOGUCHI_DATABASE_URL": database_url,
        "MADOGUCHI_IGNORE_HOURS": "true",
        **(environment or {}),
    }
    command = [madoguchi_command(), "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, env=env, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)
    server = RunningServer(base_url=f"http://127.0.0.1:{port}", pid=process.pid, log_path=log_path)
    try:
        _wait_healthy(server, process, startup_seconds)
        yield server
    finally:
        stop_process(process, timeout=15)


def stop_process(process: subprocess.Popen[bytes], *, timeout: float = 10) -> None:
    """Ask a child process to stop; kill it if it has not within `timeout` seconds."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


def _wait_healthy(server: RunningServer, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode}:\n{server.log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{server.base_url}/healthz", timeout=2).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not answer /healthz within {timeout:.0f} s")


# --- statistics ----------------------------------------------------------------------------


def percentile(values: Sequence[float], fraction: float) -> float:
    """Linear interpolation between closest ranks (the 'inclusive' method); NaN when empty."""
    if not values:
        return math.nan
    ordered = sorted(values)
    position = (len(ordered) - 1) * fraction
    low, high = math.floor(position), math.ceil(position)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def latency_summary_ms(seconds: Sequence[float]) -> dict[str, float | int]:
    """Count, mean, p50/p90/p99 and max of latencies given in seconds, reported in milliseconds."""

    def ms(value: float) -> float:
        return round(value * 1000, 2)

    return {
        "count": len(seconds),
        "mean_ms": ms(sum(seconds) / len(seconds)) if seconds else math.nan,
        "p50_ms": ms(percentile(seconds, 0.50)),
        "p90_ms": ms(percentile(seconds, 0.90)),
        "p99_ms": ms(percentile(seconds, 0.99)),
        "max_ms": ms(max(seconds)) if seconds else math.nan,
    }


# --- machine and results -------------------------------------------------------------------


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def _git(*args: str) -> str | None:
    try:
        completed = subprocess.run(
            ["git", *args], cwd=PROJECT_DIR, capture_output=True, text=True, check=True, timeout=10
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return completed.stdout.strip()


def postgresql_version(database_url: str) -> str | None:
    engine = create_db_engine(database_url, pool_size=1)
    try:
        with engine.connect() as connection:
            return str(connection.execute(text("SHOW server_version")).scalar_one())
    finally:
        engine.dispose()


def machine_info(database_url: str | None = None) -> dict[str, Any]:
    status = _git("status", "--porcelain")
    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu_count": os.cpu_count(),
        "cpu_model": _cpu_model(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "git_commit": _git("rev-parse", "--short", "HEAD"),
        "git_dirty": bool(status) if status is not None else None,
        # Other work on the machine skews every number: recorded so a reader can tell.
        "load_average_1_5_15": load_average(),
    }
    if database_url is not None and is_postgresql(database_url):
        info["postgresql"] = postgresql_version(database_url)
    return info


def results_dir(*, quick: bool) -> Path:
    return QUICK_RESULTS_DIR if quick else RESULTS_DIR


def write_results(name: str, data: dict[str, Any], markdown: str, *, quick: bool) -> tuple[Path, Path]:
    """bench/results/<name>.json and .md (bench/results/quick/ for --quick runs)."""
    directory = results_dir(quick=quick)
    directory.mkdir(parents=True, exist_ok=True)
    json_path, markdown_path = directory / f"{name}.json", directory / f"{name}.md"
    json_path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n")
    markdown_path.write_text(markdown.rstrip() + "\n")
    return json_path, markdown_path


def machine_markdown(machine: dict[str, Any]) -> str:
    database = f", PostgreSQL {machine['postgresql']}" if machine.get("postgresql") else ""
    dirty = " (uncommitted changes)" if machine.get("git_dirty") else ""
    return (
        f"Measured {machine['date']} on {machine['cpu_count']} CPU ({machine['cpu_model']}), {machine['platform']}, "
        f"Python {machine['python']}, SQLite {machine['sqlite']}{database}; commit {machine['git_commit']}{dirty}; "
        f"load average {machine['load_average_1_5_15']} when the run ended."
    )


def markdown_table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)
