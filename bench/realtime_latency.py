"""Call → event at every display, and call → announcement audio ready, on real servers.

    .venv/bin/python -m bench.realtime_latency            # 500 clients (SQLite), 1,000 (PostgreSQL)
    .venv/bin/python -m bench.realtime_latency --quick    # 50 / 100 clients, a few calls
    .venv/bin/python -m bench.realtime_latency --postgresql-url postgresql://postgres@127.0.0.1:5432/bench

Embedded default: one `madoguchi serve` on SQLite with 500 WebSocket clients on the branch stream.
Scale-out: two `madoguchi serve` processes on one new PostgreSQL database, 500 clients on each,
calls made alternately through either process (LISTEN/NOTIFY carries them across). Clients run in
separate processes (websockets library) and stamp each `ticket.called` with the wall clock; the
driver stamps the moment before it sends `call-next`. Latency = receive stamp − call stamp, for
every client and every call. Server RSS is read from /proc before and after the clients connect.
Audio: one board-like client fetches each call's `audio_url` as soon as the event arrives;
latency = audio fully received − call stamp (new numbers, so no cache hits).
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import time
from collections import defaultdict
from collections.abc import Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.harness import (
    BRANCH,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    RunningServer,
    fresh_database,
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

NAME = "realtime_latency"
COUNTER = "7"  # a public window serving certificates
SERVICE = "certificate"
TARGET_EMBEDDED_P99_MS = 50.0
TARGET_SCALE_OUT_P99_MS = 150.0
TARGET_RSS_MIB = 250.0
RSS_CLIENTS = 1000
TARGET_AUDIO_P95_MS = 300.0
# Calls are spaced so one call's fan-out is over before the next starts: we measure latency,
# not throughput.
CALL_SPACING_SECONDS = 0.3
SETTLE_SECONDS = 6.0
CLIENTS_PER_PROCESS = 250
CONNECT_CONCURRENCY = 50


@dataclass(frozen=True)
class Setup:
    database_url: str
    kiosk_token: str
    display_token: str


def prepare(database_url: str) -> Setup:
    accounts = prepare_database(database_url, with_staff=True)
    display = madoguchi(database_url, "device", "add", "bench-board", "--kind", "display").strip().splitlines()[0]
    return Setup(database_url=database_url, kiosk_token=accounts.kiosk_token, display_token=display)


# --- client processes --------------------------------------------------------------------------


def run_clients(
    urls: list[str], count: int, ready: ProcessEvent, stop: ProcessEvent, results: "multiprocessing.Queue[Any]"
) -> None:
    """One process holding `count` WebSockets spread over `urls`; reports receive stamps per number."""
    results.put(asyncio.run(_hold_clients(urls, count, ready, stop)))


async def _hold_clients(urls: list[str], count: int, ready: ProcessEvent, stop: ProcessEvent) -> dict[str, Any]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(index: int) -> Any:
        async with gate:
            # No client pings: the server's heartbeat is what keeps the socket alive.
            socket = await websockets.connect(urls[index % len(urls)], open_timeout=120, ping_interval=None)
            await socket.recv()  # the snapshot
            return socket

    sockets = await asyncio.gather(*(connect(index) for index in range(count)))
    received: dict[str, list[float]] = defaultdict(list)

    async def read(socket: Any) -> None:
        async for text in socket:
            stamp = time.time()
            # Cheap filter first: most messages are not calls, and parsing costs the client CPU.
            if '"ticket.called"' in text:
                received[json.loads(text)["ticket"]["number"]].append(stamp)

    readers = [asyncio.create_task(read(socket)) for socket in sockets]
    ready.set()
    await asyncio.to_thread(stop.wait)
    await asyncio.sleep(0.5)  # the last call's stragglers
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {"clients": len(sockets), "received": dict(received)}


# --- the driver --------------------------------------------------------------------------------


def server_rss_mb(server: RunningServer) -> float | None:
    try:
        for line in Path(f"/proc/{server.pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


async def staff_headers(http: httpx.AsyncClient, server: RunningServer) -> dict[str, str]:
    response = await http.post(
        f"{server.base_url}/api/v1/auth/login", json={"username": STAFF_USERNAME, "password": STAFF_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


async def counter_id(http: httpx.AsyncClient, server: RunningServer) -> int:
    counters = (await http.get(f"{server.base_url}/api/v1/branches/{BRANCH}/counters")).json()
    return int(next(counter["id"] for counter in counters if counter["name"] == COUNTER))


@dataclass
class Calls:
    stamps: dict[str, float]  # ticket number → wall clock just before its call-next was sent
    response_seconds: list[float]  # how long call-next itself took (commit included)


async def make_calls(servers: Sequence[RunningServer], setup: Setup, calls: int) -> Calls:
    """Issue `calls` tickets, then call each at the counter (alternating servers)."""
    made = Calls(stamps={}, response_seconds=[])
    async with httpx.AsyncClient(timeout=30) as http:
        staff = await staff_headers(http, servers[0])
        kiosk = {"Authorization": f"Bearer {setup.kiosk_token}"}
        window = await counter_id(http, servers[0])
        for index in range(calls):
            response = await http.post(
                f"{servers[index % len(servers)].base_url}/api/v1/branches/{BRANCH}/tickets",
                json={"service": SERVICE},
                headers=kiosk,
            )
            response.raise_for_status()
        opened = await http.post(f"{servers[0].base_url}/api/v1/counters/{window}/open", headers=staff)
        opened.raise_for_status()
        # Let the issue events and summaries drain, and the speech processes finish warming the
        # numbers just issued (40 in one burst: seconds of both cores), before measuring calls.
        await asyncio.sleep(SETTLE_SECONDS)
        for index in range(calls):
            base = servers[index % len(servers)].base_url
            stamp = time.time()
            response = await http.post(f"{base}/api/v1/counters/{window}/call-next", headers=staff)
            response.raise_for_status()
            made.response_seconds.append(time.time() - stamp)
            made.stamps[response.json()["ticket"]["number"]] = stamp
            await asyncio.sleep(CALL_SPACING_SECONDS)
            (await http.post(f"{base}/api/v1/counters/{window}/complete", headers=staff)).raise_for_status()
        (await http.post(f"{servers[0].base_url}/api/v1/counters/{window}/close", headers=staff)).raise_for_status()
    return made


@dataclass
class ClientProcesses:
    """Display clients in separate processes, connected to the servers' branch stream."""

    processes: list[Any]
    stop: ProcessEvent
    results: "multiprocessing.Queue[Any]"
    connect_seconds: float

    def finish(self) -> list[dict[str, Any]]:
        self.stop.set()
        reports = [self.results.get(timeout=120) for _ in self.processes]
        for process in self.processes:
            process.join(timeout=30)
        return reports


def connect_clients(servers: Sequence[RunningServer], setup: Setup, clients: int) -> ClientProcesses:
    urls = [f"ws{s.base_url[4:]}/api/v1/branches/{BRANCH}/events?token={setup.display_token}" for s in servers]
    context = multiprocessing.get_context("spawn")
    processes_needed = max(1, -(-clients // CLIENTS_PER_PROCESS))
    results: multiprocessing.Queue[Any] = context.Queue()
    stop = context.Event()
    readies = []
    processes = []
    for index in range(processes_needed):
        count = clients // processes_needed + (1 if index < clients % processes_needed else 0)
        ready = context.Event()
        # Each process's clients alternate over the servers, so each server gets half.
        process = context.Process(target=run_clients, args=(urls, count, ready, stop, results), daemon=True)
        process.start()
        readies.append(ready)
        processes.append(process)
    connect_started = time.monotonic()
    for ready in readies:
        if not ready.wait(timeout=300):
            raise RuntimeError("clients did not connect within 300 s")
    connect_seconds = time.monotonic() - connect_started
    time.sleep(1)
    return ClientProcesses(processes, stop, results, connect_seconds)


def measure_rss(server: RunningServer, setup: Setup, *, clients: int) -> dict[str, Any]:
    """One server's resident memory with `clients` display boards connected (and after an event)."""
    before = server_rss_mb(server)
    connected = connect_clients([server], setup, clients)
    with_clients = server_rss_mb(server)
    reports = connected.finish()
    return {
        "clients": sum(report["clients"] for report in reports),
        "server_rss_mib_before_clients": before,
        "server_rss_mib_with_clients": with_clients,
        "load_average": load_average(),
    }


def measure_fan_out(servers: Sequence[RunningServer], setup: Setup, *, clients: int, calls: int) -> dict[str, Any]:
    rss_before = {s.base_url: server_rss_mb(s) for s in servers}
    connected = connect_clients(servers, setup, clients)
    connect_seconds = connected.connect_seconds
    processes_needed = len(connected.processes)
    rss_connected = {s.base_url: server_rss_mb(s) for s in servers}
    cpu_before = [server.cpu_seconds() or 0.0 for server in servers]
    made = asyncio.run(make_calls(servers, setup, calls))
    cpu_used = sum((server.cpu_seconds() or 0.0) - before for server, before in zip(servers, cpu_before, strict=True))
    stamps = made.stamps
    reports = connected.finish()

    latencies: list[float] = []
    slowest_per_call: list[float] = []
    missing = 0
    connected = sum(report["clients"] for report in reports)
    for number, called_at in stamps.items():
        arrivals = [stamp for report in reports for stamp in report["received"].get(number, [])]
        missing += connected - len(arrivals)
        latencies += [arrival - called_at for arrival in arrivals]
        if arrivals:
            slowest_per_call.append(max(arrivals) - called_at)
    return {
        "clients": connected,
        "client_processes": processes_needed,
        "calls": len(stamps),
        "deliveries": len(latencies),
        "missing_deliveries": missing,
        "connect_seconds": round(connect_seconds, 2),
        # Server CPU per call cycle (issue excluded; call-next, complete, their fan-outs and summaries).
        "server_cpu_ms_per_call": round(cpu_used / max(len(stamps), 1) * 1000, 1),
        "every_delivery": latency_summary_ms(latencies),
        # The API call alone (its commit is inside it): the rest of a delivery's latency is fan-out.
        "call_next_response": latency_summary_ms(made.response_seconds),
        "last_client_per_call": latency_summary_ms(slowest_per_call),
        "server_rss_mb_before_clients": rss_before,
        "server_rss_mb_with_clients": rss_connected,
        "load_average": load_average(),
    }


async def _audio_run(server: RunningServer, setup: Setup, calls: int) -> dict[str, Any]:
    url = f"ws{server.base_url[4:]}/api/v1/branches/{BRANCH}/events?token={setup.display_token}"
    ready_at: dict[str, float] = {}
    failures: list[str] = []
    sizes: list[int] = []

    async def board() -> None:
        async with websockets.connect(url) as socket, httpx.AsyncClient(timeout=30) as http:
            async for text in socket:
                message = json.loads(text)
                if message.get("type") != "ticket.called" or not message.get("audio_url"):
                    continue
                response = await http.get(server.base_url + message["audio_url"])
                if response.status_code == 200 and response.content[:4] == b"RIFF":
                    ready_at[message["ticket"]["number"]] = time.time()
                    sizes.append(len(response.content))
                else:
                    failures.append(f"{response.status_code} {message['audio_url']}")

    listener = asyncio.create_task(board())
    await asyncio.sleep(1)
    stamps = (await make_calls([server], setup, calls)).stamps
    await asyncio.sleep(2)
    listener.cancel()
    latencies = [ready_at[number] - stamp for number, stamp in stamps.items() if number in ready_at]
    summary = latency_summary_ms(latencies)
    ordered = sorted(latencies)
    summary["p95_ms"] = round(ordered[int(0.95 * (len(ordered) - 1))] * 1000, 2) if ordered else float("nan")
    return {
        "calls": len(stamps),
        "ready": len(latencies),
        "failures": failures[:5],
        "wav_bytes_mean": (sum(sizes) // len(sizes)) if sizes else 0,
        "latency": summary,
    }


# --- the run -----------------------------------------------------------------------------------


def run(*, quick: bool, postgresql_url: str | None, keep: Path | None) -> dict[str, Any]:
    embedded_clients, scale_out_clients = (50, 100) if quick else (500, 1000)
    rss_clients = 100 if quick else RSS_CLIENTS
    calls, audio_calls = (5, 5) if quick else (40, 20)
    data: dict[str, Any] = {"benchmark": NAME, "quick": quick}
    with work_directory(keep) as workdir:
        os.environ["MADOGUCHI_AUDIO_CACHE_DIR"] = str(workdir / "audio")
        with fresh_database(workdir, None, "realtime") as database_url:
            setup = prepare(database_url)
            with running_server(database_url, workdir / "embedded.log") as server:
                data["embedded"] = measure_fan_out([server], setup, clients=embedded_clients, calls=calls)
                data["audio"] = asyncio.run(_audio_run(server, setup, audio_calls))
            # A fresh server, so the memory counted is what 1,000 boards hold, not the runs above.
            with running_server(database_url, workdir / "memory.log") as server:
                data["memory"] = measure_rss(server, setup, clients=rss_clients)
        if postgresql_url:
            with fresh_database(workdir, postgresql_url, "realtime") as database_url, ExitStack() as stack:
                setup = prepare(database_url)
                servers = [
                    stack.enter_context(running_server(database_url, workdir / f"scale-out-{index}.log"))
                    for index in range(2)
                ]
                data["scale_out"] = measure_fan_out(servers, setup, clients=scale_out_clients, calls=calls)
        data["machine"] = machine_info(postgresql_url)
    data["parameters"] = {
        "server": "madoguchi serve (uvicorn, one process each)",
        "embedded": f"SQLite, one process, {embedded_clients} clients",
        "scale_out": f"PostgreSQL, two processes, {scale_out_clients} clients" if postgresql_url else "not run",
        "calls": calls,
        "audio_calls": audio_calls,
        "memory": f"SQLite, one fresh process, {rss_clients} display clients connected",
        "call_spacing_seconds": CALL_SPACING_SECONDS,
        "settle_seconds_before_calls": SETTLE_SECONDS,
        "client": (
            "websockets (asyncio) in separate processes, ≤250 clients each; "
            "they offer permessage-deflate, the server declines it"
        ),
    }
    data["table"] = table_entry(data)
    return data


def table_entry(data: dict[str, Any]) -> dict[str, Any]:
    def fan_out_row(key: str, target: float) -> dict[str, Any]:
        run_data = data.get(key)
        if run_data is None:
            return {"result": "not run (no PostgreSQL URL)", "met": None}
        every = run_data["every_delivery"]
        met = every["p99_ms"] < target and run_data["missing_deliveries"] == 0
        load = run_data.get("load_average") or ["?"]
        return {
            "result": (
                f"p50 {every['p50_ms']} ms, p99 {every['p99_ms']} ms over {run_data['deliveries']} deliveries "
                f"({run_data['clients']} clients × {run_data['calls']} calls), "
                f"{run_data['missing_deliveries']} missing; load average {load[0]}"
            ),
            "met": met,
        }

    audio = data["audio"]
    audio_met = audio["ready"] == audio["calls"] and audio["latency"]["p95_ms"] < TARGET_AUDIO_P95_MS
    embedded = data["embedded"]
    rss = next(iter(embedded["server_rss_mb_with_clients"].values()))
    rows = {
        "call_event_500": fan_out_row("embedded", TARGET_EMBEDDED_P99_MS),
        "call_event_1000_pg": fan_out_row("scale_out", TARGET_SCALE_OUT_P99_MS),
        "audio_ready": {
            "result": f"p50 {audio['latency']['p50_ms']} ms, p95 {audio['latency']['p95_ms']} ms "
            f"({audio['ready']}/{audio['calls']} calls had audio)",
            "met": audio_met,
        },
    }
    rows["call_event_500"]["result"] += f"; server RSS {rss} MiB with the clients"
    memory = data["memory"]
    rows["memory_1000"] = {
        "result": f"{memory['server_rss_mib_before_clients']} → {memory['server_rss_mib_with_clients']} MiB "
        f"with {memory['clients']} display clients (SQLite, one process); load average {memory['load_average'][0]}",
        "met": memory["clients"] >= RSS_CLIENTS and memory["server_rss_mib_with_clients"] <= TARGET_RSS_MIB,
    }
    return rows


def to_markdown(data: dict[str, Any]) -> str:
    rows = []
    for key, label in (("embedded", "SQLite, 1 process"), ("scale_out", "PostgreSQL, 2 processes")):
        run_data = data.get(key)
        if run_data is None:
            continue
        every, last = run_data["every_delivery"], run_data["last_client_per_call"]
        rss = ", ".join(f"{value} MB" for value in run_data["server_rss_mb_with_clients"].values())
        rss_before = ", ".join(f"{value} MB" for value in run_data["server_rss_mb_before_clients"].values())
        rows.append(
            [
                label,
                run_data["clients"],
                run_data["calls"],
                every["p50_ms"],
                every["p99_ms"],
                last["p50_ms"],
                last["p99_ms"],
                run_data["missing_deliveries"],
                run_data["call_next_response"]["p50_ms"],
                run_data["server_cpu_ms_per_call"],
                f"{rss_before} → {rss}",
            ]
        )
    audio, memory = data["audio"], data["memory"]
    loads = (
        f"SQLite {data['embedded'].get('load_average')}, PostgreSQL {(data.get('scale_out') or {}).get('load_average')}"
    )
    table = markdown_table(
        [
            "Setup",
            "Clients",
            "Calls",
            "p50 ms (every delivery)",
            "p99 ms",
            "p50 ms (last client of a call)",
            "p99 ms (last client)",
            "Missing",
            "call-next response p50 ms",
            "Server CPU ms per call",
            "Server RSS (before → with clients)",
        ],
        rows,
    )
    return f"""# Realtime latency{" (quick)" if data["quick"] else ""}

Call (`POST /counters/{{id}}/call-next`) → `ticket.called` received by every WebSocket client.

{table}

Call → announcement audio ready (a board fetching `audio_url` as soon as the event arrives):
p50 {audio["latency"]["p50_ms"]} ms, p95 {audio["latency"]["p95_ms"]} ms, max {audio["latency"]["max_ms"]} ms;
{audio["ready"]}/{audio["calls"]} calls had audio (mean WAV {audio["wav_bytes_mean"]} bytes).

Server memory with {memory["clients"]} display clients on one fresh SQLite process:
{memory["server_rss_mib_before_clients"]} MiB before, {memory["server_rss_mib_with_clients"]} MiB with them
(target ≤ {TARGET_RSS_MIB:.0f} MiB).

Targets: p99 < {TARGET_EMBEDDED_P99_MS:.0f} ms (SQLite, 500), p99 < {TARGET_SCALE_OUT_P99_MS:.0f} ms
(PostgreSQL, 1,000), audio p95 < {TARGET_AUDIO_P95_MS:.0f} ms. Load average when each run ended:
{loads}. Clients, servers and PostgreSQL share
the machine, so client-side receive work is inside these numbers; compare the load average below
with the CPU count before reading them as the server's own. A delivery's latency includes the
call-next request itself (its p50 is shown): the event reaches boards before the API answers.
Server CPU per call cycle covers call-next, complete, their fan-outs and the waiting-count
summaries; most of it is one socket write per client per message: each message is encoded to a
WebSocket frame once and the hub writes it straight to every board that keeps up
(server/realtime/wire.py; per-message deflate, which the clients offer, is declined by
`madoguchi serve`).

{machine_markdown(data["machine"])}
"""


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument(
        "--quick", action="store_true", help="50/100 clients and 5 calls (results in bench/results/quick/)"
    )
    parser.add_argument(
        "--postgresql-url",
        default=os.environ.get("MADOGUCHI_BENCH_POSTGRESQL_URL") or os.environ.get("MADOGUCHI_TEST_DATABASE_URL"),
        help="PostgreSQL server for the scale-out run (a new database is created and dropped)",
    )
    parser.add_argument("--keep", type=Path, help="keep databases and server logs in this folder")
    args = parser.parse_args(argv)
    data = run(quick=args.quick, postgresql_url=args.postgresql_url, keep=args.keep)
    json_path, markdown_path = write_results(NAME, data, to_markdown(data), quick=args.quick)
    print(to_markdown(data))
    print(f"Wrote {json_path} and {markdown_path}")
    return 0 if all(row["met"] is not False for row in data["table"].values()) else 1


if __name__ == "__main__":
    raise SystemExit(main())
