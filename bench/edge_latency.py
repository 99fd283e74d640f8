"""Call → citizen's phone through the public edge, and the edge's memory per 1,000 live tickets.

    .venv/bin/python -m bench.edge_latency            # 1,000 tickets, 1,000 status-page clients
    .venv/bin/python -m bench.edge_latency --quick    # 100 tickets and clients, a few calls

A city hall (`madoguchi serve`, SQLite) links out to a `madoguchi edge` on loopback, as in a real
deployment where phones reach only the edge. Every ticket of the morning has its status page open
on a phone: one WebSocket per ticket on the edge's `/api/v1/tickets/{token}/events`, held by client
processes (websockets library) that stamp what arrives with the wall clock. The driver stamps the
moment before each `call-next`.

- Call latency: call stamp → the called ticket's own phone receives `ticket.called`.
- Position latency: call stamp → each phone still waiting receives its updated view (its number of
  people ahead moved), the last phone of each call included.
- Edge memory: resident set of the edge process with no tickets, with the day's tickets pushed to
  it, and with every status page connected.
"""

import argparse
import asyncio
import json
import multiprocessing
import os
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from multiprocessing.synchronize import Event as ProcessEvent
from pathlib import Path
from typing import Any

import httpx
import websockets

from bench.harness import (
    BRANCH,
    PROJECT_DIR,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    RunningServer,
    free_port,
    fresh_database,
    latency_summary_ms,
    load_average,
    machine_info,
    machine_markdown,
    madoguchi_command,
    markdown_table,
    prepare_database,
    running_server,
    stop_process,
    work_directory,
    write_results,
)

NAME = "edge_latency"
EDGE_KEY = "bench-edge-key-0123456789abcdef"
HEALTH_PATH = "/_madoguchi/health"
COUNTER = "7"  # a public window serving certificates
SERVICE = "certificate"
TARGET_CALL_P99_MS = 1000.0  # issue 12: a call shows on the phone within 1 s
# Spaced so that one call's updates (a view for every waiting ticket) are over before the next.
CALL_SPACING_SECONDS = 1.0
CLIENTS_PER_PROCESS = 250
CONNECT_CONCURRENCY = 50


@dataclass(frozen=True)
class RunningEdge:
    base_url: str
    pid: int


@contextmanager
def running_edge(log_path: Path) -> Iterator[RunningEdge]:
    port = free_port()
    command = [
        madoguchi_command(), "edge", "--listen", f"127.0.0.1:{port}",
        "--public-url", f"http://127.0.0.1:{port}", "--key", EDGE_KEY, "--no-push",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        process = subprocess.Popen(command, cwd=PROJECT_DIR, stdout=log, stderr=subprocess.STDOUT)
    edge = RunningEdge(base_url=f"http://127.0.0.1:{port}", pid=process.pid)
    try:
        wait_for(lambda: httpx.get(edge.base_url + HEALTH_PATH, timeout=2).status_code == 200, "edge up", 60)
        yield edge
    finally:
        stop_process(process)


def wait_for(check: Any, what: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"timed out waiting for: {what}")


def rss_mib(pid: int) -> float | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return None


# --- phones ------------------------------------------------------------------------------------


def run_phones(urls: list[str], ready: ProcessEvent, stop: ProcessEvent, results: "multiprocessing.Queue[Any]") -> None:
    results.put(asyncio.run(_hold_phones(urls, ready, stop)))


async def _hold_phones(urls: list[str], ready: ProcessEvent, stop: ProcessEvent) -> dict[str, Any]:
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def connect(url: str) -> Any:
        async with gate:
            socket = await websockets.connect(url, open_timeout=120, ping_interval=None)
            await socket.recv()  # the opening view
            return socket

    sockets = await asyncio.gather(*(connect(url) for url in urls))
    called: dict[str, float] = {}  # number → when its own phone heard the call
    views: list[list[float]] = [[] for _ in sockets]  # per phone: when each new view arrived

    async def read(index: int, socket: Any) -> None:
        async for text in socket:
            stamp = time.time()
            if '"ticket.called"' in text:
                called.setdefault(json.loads(text)["ticket"]["number"], stamp)
            elif text.startswith('{"type":"ticket"'):  # the edge encodes compactly
                views[index].append(stamp)

    readers = [asyncio.create_task(read(index, socket)) for index, socket in enumerate(sockets)]
    ready.set()
    await asyncio.to_thread(stop.wait)
    await asyncio.sleep(1.0)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(socket.close() for socket in sockets), return_exceptions=True)
    return {"phones": len(sockets), "called": called, "views": views}


@dataclass
class Phones:
    processes: list[Any]
    stop: ProcessEvent
    results: "multiprocessing.Queue[Any]"
    connect_seconds: float

    def finish(self) -> list[dict[str, Any]]:
        self.stop.set()
        reports = [self.results.get(timeout=180) for _ in self.processes]
        for process in self.processes:
            process.join(timeout=30)
        return reports


def open_status_pages(edge: RunningEdge, tokens: list[str]) -> Phones:
    urls = [f"ws{edge.base_url[4:]}/api/v1/tickets/{token}/events" for token in tokens]
    context = multiprocessing.get_context("spawn")
    results: multiprocessing.Queue[Any] = context.Queue()
    stop = context.Event()
    processes, readies = [], []
    for start in range(0, len(urls), CLIENTS_PER_PROCESS):
        ready = context.Event()
        chunk = urls[start : start + CLIENTS_PER_PROCESS]
        process = context.Process(target=run_phones, args=(chunk, ready, stop, results), daemon=True)
        process.start()
        processes.append(process)
        readies.append(ready)
    started = time.monotonic()
    for ready in readies:
        if not ready.wait(timeout=300):
            raise RuntimeError("status pages did not connect within 300 s")
    return Phones(processes, stop, results, time.monotonic() - started)


# --- the driver --------------------------------------------------------------------------------


def issue_tickets(server: RunningServer, kiosk_token: str, count: int) -> list[dict[str, Any]]:
    tickets = []
    with httpx.Client(timeout=30, headers={"Authorization": f"Bearer {kiosk_token}"}) as http:
        for _ in range(count):
            response = http.post(f"{server.base_url}/api/v1/branches/{BRANCH}/tickets", json={"service": SERVICE})
            response.raise_for_status()
            tickets.append(response.json())
    return tickets


def make_calls(server: RunningServer, calls: int) -> dict[str, float]:
    """Call `calls` tickets at one window, a call every CALL_SPACING_SECONDS; number → call stamp."""
    stamps: dict[str, float] = {}
    with httpx.Client(base_url=f"{server.base_url}/api/v1", timeout=30) as http:
        login = http.post("/auth/login", json={"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
        login.raise_for_status()
        http.headers["Authorization"] = f"Bearer {login.json()['access_token']}"
        counters = http.get(f"/branches/{BRANCH}/counters").json()
        window = next(counter["id"] for counter in counters if counter["name"] == COUNTER)
        http.post(f"/counters/{window}/open").raise_for_status()
        for _ in range(calls):
            stamp = time.time()
            response = http.post(f"/counters/{window}/call-next")
            response.raise_for_status()
            stamps[response.json()["ticket"]["number"]] = stamp
            time.sleep(CALL_SPACING_SECONDS)
            http.post(f"/counters/{window}/complete").raise_for_status()
        http.post(f"/counters/{window}/close").raise_for_status()
    return stamps


def measure(*, tickets: int, calls: int, workdir: Path) -> dict[str, Any]:
    with fresh_database(workdir, None, "edge") as database_url:
        accounts = prepare_database(database_url, with_staff=True)
        with running_edge(workdir / "edge.log") as edge:
            os.environ.update(
                MADOGUCHI_EDGE_URL=edge.base_url, MADOGUCHI_EDGE_KEY=EDGE_KEY, MADOGUCHI_PUBLIC_BASE_URL=edge.base_url
            )
            with running_server(database_url, workdir / "server.log") as server:
                wait_for(lambda: httpx.get(edge.base_url + HEALTH_PATH).json()["tenants"]["default"], "link", 30)
                time.sleep(1)
                rss_empty = rss_mib(edge.pid)
                issued = issue_tickets(server, accounts.kiosk_token, tickets)
                last = issued[-1]["status_token"]
                wait_for(lambda: httpx.get(f"{edge.base_url}/api/v1/tickets/{last}").status_code == 200, "tickets", 60)
                time.sleep(2)
                rss_tickets = rss_mib(edge.pid)
                phones = open_status_pages(edge, [ticket["status_token"] for ticket in issued])
                time.sleep(1)
                rss_phones = rss_mib(edge.pid)
                stamps = make_calls(server, calls)
                reports = phones.finish()
    return summarise(issued, stamps, reports, rss=(rss_empty, rss_tickets, rss_phones), connect=phones.connect_seconds)


def summarise(
    issued: list[dict[str, Any]],
    stamps: dict[str, float],
    reports: list[dict[str, Any]],
    *,
    rss: tuple[float | None, ...],
    connect: float,
) -> dict[str, Any]:
    called: dict[str, float] = {}
    views: list[list[float]] = []
    for report in reports:
        called.update(report["called"])
        views += report["views"]
    call_latency = [called[number] - stamp for number, stamp in stamps.items() if number in called]
    # A phone whose ticket waits sees its position move after each call ahead of it.
    ordered_calls = sorted(stamps.values())
    position_latency: list[float] = []
    last_phone_per_call: list[float] = []
    missed_updates = 0
    for index, call_at in enumerate(ordered_calls):
        until = ordered_calls[index + 1] if index + 1 < len(ordered_calls) else float("inf")
        arrivals = []
        for phone, stamps_of_phone in enumerate(views):
            if phone < index + 1:  # this phone's ticket has been called by now
                continue
            first = next((stamp for stamp in stamps_of_phone if call_at <= stamp < until), None)
            if first is None:
                missed_updates += 1
            else:
                arrivals.append(first - call_at)
        position_latency += arrivals
        if arrivals:
            last_phone_per_call.append(max(arrivals))
    empty, with_tickets, with_phones = rss
    per_thousand = None
    if empty is not None and with_tickets is not None:
        per_thousand = round((with_tickets - empty) * 1000 / len(issued), 1)
    return {
        "tickets": len(issued),
        "phones": sum(report["phones"] for report in reports),
        "calls": len(stamps),
        "calls_heard": len(call_latency),
        "connect_seconds": round(connect, 2),
        "call_to_phone": latency_summary_ms(call_latency),
        "position_update": latency_summary_ms(position_latency),
        "position_update_last_phone_per_call": latency_summary_ms(last_phone_per_call),
        "position_updates_missed": missed_updates,
        "edge_rss_mib": {"empty": empty, "with_tickets": with_tickets, "with_status_pages": with_phones},
        "edge_mib_per_1000_tickets": per_thousand,
        "load_average": load_average(),
    }


def to_markdown(data: dict[str, Any]) -> str:
    run = data["run"]
    call, position, last = run["call_to_phone"], run["position_update"], run["position_update_last_phone_per_call"]
    rss = run["edge_rss_mib"]
    table = markdown_table(
        ["What", "Result", "Target", "Met"],
        [
            [
                "Call → the called ticket's phone",
                f"p50 {call['p50_ms']} ms, p99 {call['p99_ms']} ms ({run['calls_heard']}/{run['calls']} heard)",
                f"< {TARGET_CALL_P99_MS:.0f} ms",
                "yes" if data["table"]["call_to_phone"]["met"] else "no",
            ],
            [
                "Call → every waiting phone's new position",
                f"p50 {position['p50_ms']} ms, p99 {position['p99_ms']} ms; last phone of a call p50 "
                f"{last['p50_ms']} ms, p99 {last['p99_ms']} ms; {run['position_updates_missed']} missed",
                "—",
                "—",
            ],
            [
                "Edge memory",
                f"{rss['empty']} MiB empty → {rss['with_tickets']} MiB with {run['tickets']} tickets → "
                f"{rss['with_status_pages']} MiB with {run['phones']} status pages open; "
                f"{run['edge_mib_per_1000_tickets']} MiB per 1,000 tickets",
                "—",
                "—",
            ],
        ],
    )
    return f"""# Status pages through the public edge{" (quick)" if data["quick"] else ""}

A city hall (SQLite, one process) links out to `madoguchi edge` on loopback; each of the day's
{run["tickets"]} tickets has its status page open on the edge (one WebSocket each, client processes
on the same machine). {run["calls"]} calls at one window, one every {CALL_SPACING_SECONDS:.0f} s.

{table}

Each call moves every waiting ticket's position, so the city hall pushes a new view of each of
them through the link and the edge writes it to that ticket's phone: the position row is the
edge's real fan-out. Clients, the city hall and the edge share the machine (load average
{run["load_average"]} when the run ended).

{machine_markdown(data["machine"])}
"""


def run(*, quick: bool, keep: Path | None) -> dict[str, Any]:
    tickets, calls = (100, 5) if quick else (1000, 30)
    data: dict[str, Any] = {"benchmark": NAME, "quick": quick}
    with work_directory(keep) as workdir:
        os.environ["MADOGUCHI_AUDIO_CACHE_DIR"] = str(workdir / "audio")
        data["run"] = measure(tickets=tickets, calls=calls, workdir=workdir)
    data["machine"] = machine_info(None)
    data["parameters"] = {"tickets": tickets, "calls": calls, "call_spacing_seconds": CALL_SPACING_SECONDS}
    call = data["run"]["call_to_phone"]
    data["table"] = {
        "call_to_phone": {
            "result": f"p50 {call['p50_ms']} ms, p99 {call['p99_ms']} ms",
            "met": data["run"]["calls_heard"] == calls and call["p99_ms"] < TARGET_CALL_P99_MS,
        }
    }
    return data


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="100 tickets, 5 calls")
    parser.add_argument("--keep", type=Path, help="keep databases and logs in this folder")
    args = parser.parse_args()
    data = run(quick=args.quick, keep=args.keep)
    json_path, markdown_path = write_results(NAME, data, to_markdown(data), quick=args.quick)
    print(to_markdown(data))
    print(f"written: {json_path}, {markdown_path}")


if __name__ == "__main__":
    main()
