"""A small closed-loop HTTP load generator: N keep-alive connections, each sending its next
request as soon as the previous answer arrives, for a fixed time or a fixed count.

httpx + asyncio, so CI needs nothing beyond the project's own dependencies. Every endpoint in a
comparison must be driven by this same function with the same concurrency.
"""

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

from bench.harness import RunningServer, latency_summary_ms, machine_busy_cpu_seconds

ResponseHook = Callable[[httpx.Response], None]


@dataclass(frozen=True)
class Target:
    """One request, repeated."""

    name: str
    method: str
    path: str
    expect_status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    json_body: dict[str, Any] | None = None


@dataclass
class LoadResult:
    target: Target
    concurrency: int
    elapsed_seconds: float
    latencies_seconds: list[float]
    statuses: Counter[int]
    transport_errors: Counter[str]
    client_cpu_seconds: float
    server_cpu_seconds: float | None
    machine_cpu_seconds: float | None

    @property
    def ok(self) -> int:
        return len(self.latencies_seconds)

    @property
    def failed(self) -> int:
        return sum(self.statuses.values()) - self.ok + sum(self.transport_errors.values())

    @property
    def requests_per_second(self) -> float:
        return self.ok / self.elapsed_seconds

    def summary(self) -> dict[str, Any]:
        cpu_per_request = (
            round(self.server_cpu_seconds / self.ok * 1000, 3)
            if self.server_cpu_seconds is not None and self.ok
            else None
        )
        return {
            "endpoint": f"{self.target.method} {self.target.path}",
            "concurrency": self.concurrency,
            "elapsed_seconds": round(self.elapsed_seconds, 3),
            "ok": self.ok,
            "failed": self.failed,
            "statuses": {str(status): count for status, count in sorted(self.statuses.items())},
            "transport_errors": dict(self.transport_errors),
            "requests_per_second": round(self.requests_per_second, 1),
            "latency": latency_summary_ms(self.latencies_seconds),
            # Near 1.0 of one core means the client, not the server, set the pace.
            "client_cpu_share": round(self.client_cpu_seconds / self.elapsed_seconds, 2),
            "server_cpu_share": round(self.server_cpu_seconds / self.elapsed_seconds, 2)
            if self.server_cpu_seconds is not None
            else None,
            "server_cpu_ms_per_request": cpu_per_request,
            # CPU the rest of the machine used meanwhile (other jobs compete with client and server).
            "other_cpu_share": self._other_cpu_share(),
        }

    def _other_cpu_share(self) -> float | None:
        if self.machine_cpu_seconds is None or self.server_cpu_seconds is None:
            return None
        other = self.machine_cpu_seconds - self.server_cpu_seconds - self.client_cpu_seconds
        return round(max(other, 0) / self.elapsed_seconds, 2)


def drive(
    server: RunningServer,
    target: Target,
    *,
    concurrency: int,
    duration_seconds: float | None = None,
    count: int | None = None,
    on_response: ResponseHook | None = None,
) -> LoadResult:
    """Send `target` over `concurrency` connections until the time or count runs out."""
    if (duration_seconds is None) == (count is None):
        raise ValueError("give exactly one of duration_seconds and count")
    return asyncio.run(_drive(server, target, concurrency, duration_seconds, count, on_response))


async def _drive(
    server: RunningServer,
    target: Target,
    concurrency: int,
    duration_seconds: float | None,
    count: int | None,
    on_response: ResponseHook | None,
) -> LoadResult:
    latencies: list[float] = []
    statuses: Counter[int] = Counter()
    transport_errors: Counter[str] = Counter()
    remaining = [count]
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(
        base_url=server.base_url, limits=limits, timeout=120, headers=target.headers
    ) as client:

        def more(deadline: float) -> bool:
            if remaining[0] is None:
                return time.perf_counter() < deadline
            remaining[0] -= 1
            return remaining[0] >= 0

        async def worker(deadline: float) -> None:
            while more(deadline):
                started = time.perf_counter()
                try:
                    response = await client.request(target.method, target.path, json=target.json_body)
                except httpx.TransportError as error:
                    transport_errors[type(error).__name__] += 1
                    continue
                elapsed = time.perf_counter() - started
                statuses[response.status_code] += 1
                if response.status_code == target.expect_status:
                    latencies.append(elapsed)
                if on_response is not None:
                    on_response(response)

        server_cpu_before, client_cpu_before, machine_before = (
            server.cpu_seconds(),
            time.process_time(),
            machine_busy_cpu_seconds(),
        )
        started = time.perf_counter()
        deadline = started + (duration_seconds or 0)
        await asyncio.gather(*(worker(deadline) for _ in range(concurrency)))
        elapsed = time.perf_counter() - started
        server_cpu_after, client_cpu = server.cpu_seconds(), time.process_time() - client_cpu_before
        machine_after = machine_busy_cpu_seconds()
    server_cpu = (
        server_cpu_after - server_cpu_before if server_cpu_before is not None and server_cpu_after is not None else None
    )
    machine_cpu = machine_after - machine_before if machine_before is not None and machine_after is not None else None
    return LoadResult(
        target, concurrency, elapsed, latencies, statuses, transport_errors, client_cpu, server_cpu, machine_cpu
    )
