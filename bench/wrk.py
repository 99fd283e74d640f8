"""wrk (Debian's package) as the load tool: a C client, so the server, not the client, sets the
pace. Every endpoint in a comparison is driven by this same function with the same settings."""

import json
import shutil
import subprocess
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.harness import RunningServer, machine_busy_cpu_seconds

# Lua run by wrk: the request to repeat, and a one-line JSON summary at the end.
SCRIPT = """
wrk.method = {method}
wrk.body = {body}
{headers}
done = function(summary, latency, requests)
  local errors = summary.errors
  io.write(string.format(
    '\\nWRK-JSON {{"requests": %d, "duration_us": %d, "socket_errors": %d, "timeouts": %d, '
    .. '"status_errors": %d, "p50_us": %d, "p90_us": %d, "p99_us": %d, "max_us": %d}}\\n',
    summary.requests, summary.duration, errors.connect + errors.read + errors.write, errors.timeout,
    errors.status, latency:percentile(50), latency:percentile(90), latency:percentile(99), latency.max))
end
"""


@dataclass(frozen=True)
class Endpoint:
    name: str
    method: str
    path: str
    headers: dict[str, str] = field(default_factory=dict)
    json_body: dict[str, Any] | None = None


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit("wrk not found: install Debian's package (apt-get install wrk)")
    return found


def _lua(endpoint: Endpoint) -> str:
    headers = dict(endpoint.headers)
    body = "nil"
    if endpoint.json_body is not None:
        headers["Content-Type"] = "application/json"
        body = json.dumps(json.dumps(endpoint.json_body))
    lines = "\n".join(f"wrk.headers[{json.dumps(name)}] = {json.dumps(value)}" for name, value in headers.items())
    return SCRIPT.format(method=json.dumps(endpoint.method), body=body, headers=lines)


def combine(slices: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Several `drive` runs of one endpoint as one: totals and rates over their summed time;
    latency percentiles are the slowest slice's (wrk reports no histogram to merge)."""
    seconds = sum(part["seconds"] for part in slices)
    ok = sum(part["ok"] for part in slices)
    cpu = [part["server_cpu_seconds"] for part in slices]
    server_seconds = sum(cpu) if None not in cpu else None
    return {
        "endpoint": slices[0]["endpoint"],
        "connections": slices[0]["connections"],
        "requests": sum(part["requests"] for part in slices),
        "ok": ok,
        "failed": sum(part["failed"] for part in slices),
        "requests_per_second": round(ok / seconds, 1),
        "seconds": round(seconds, 3),
        "server_cpu_seconds": round(server_seconds, 3) if server_seconds is not None else None,
        "latency": {key: max(part["latency"][key] for part in slices) for key in slices[0]["latency"]},
        "server_cpu_ms_per_request": round(server_seconds / ok * 1000, 3) if server_seconds and ok else None,
        "slices": len(slices),
    }


def drive(server: RunningServer, endpoint: Endpoint, *, connections: int, duration_seconds: float) -> dict[str, Any]:
    """Closed loop, `connections` keep-alive connections on 2 wrk threads, for a fixed time."""
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(endpoint))
    try:
        server_cpu, machine_cpu = server.cpu_seconds(), machine_busy_cpu_seconds()
        started = time.perf_counter()
        completed = subprocess.run(
            [
                require_wrk(),
                "-t2",
                f"-c{connections}",
                f"-d{max(1, round(duration_seconds))}s",  # wrk takes whole seconds
                "--timeout",
                "30s",
                "-s",
                script.name,
                f"{server.base_url}{endpoint.path}",
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        elapsed = time.perf_counter() - started
        server_after, machine_after = server.cpu_seconds(), machine_busy_cpu_seconds()
    finally:
        Path(script.name).unlink()
    line = next(line for line in completed.stdout.splitlines() if line.startswith("WRK-JSON "))
    raw = json.loads(line.removeprefix("WRK-JSON "))
    seconds = raw["duration_us"] / 1e6
    ok = raw["requests"] - raw["status_errors"]
    server_seconds = server_after - server_cpu if server_after is not None and server_cpu is not None else None
    machine_seconds = machine_after - machine_cpu if machine_after is not None and machine_cpu is not None else None
    return {
        "endpoint": f"{endpoint.method} {endpoint.path}",
        "connections": connections,
        "requests": raw["requests"],
        "ok": ok,
        "failed": raw["status_errors"] + raw["socket_errors"] + raw["timeouts"],
        "requests_per_second": round(ok / seconds, 1),
        "seconds": round(seconds, 3),
        "server_cpu_seconds": round(server_seconds, 3) if server_seconds is not None else None,
        "latency": {
            "p50_ms": round(raw["p50_us"] / 1000, 1),
            "p90_ms": round(raw["p90_us"] / 1000, 1),
            "p99_ms": round(raw["p99_us"] / 1000, 1),
            "max_ms": round(raw["max_us"] / 1000, 1),
        },
        "server_cpu_ms_per_request": round(server_seconds / ok * 1000, 3) if server_seconds and ok else None,
        "server_cpu_share": round(server_seconds / elapsed, 2) if server_seconds is not None else None,
        # What the rest of the machine (wrk included) used meanwhile.
        "other_cpu_share": round(max(machine_seconds - server_seconds, 0) / elapsed, 2)
        if machine_seconds is not None and server_seconds is not None
        else None,
    }
