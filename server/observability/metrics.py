"""`GET /metrics` in Prometheus text format (MADOGUCHI_METRICS=true).

Each process keeps its own registry: counters and histograms move with its traffic; the gauges
(waiting per queue, connected displays, unprinted slips) are read when Prometheus scrapes. With
several workers, scrape each one (or sum per instance): figures are per process.
"""

import contextlib
import time
from collections.abc import Callable, Iterator, Sequence
from datetime import datetime
from typing import Any

from fastapi import FastAPI, Request, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import Engine, event, func
from sqlmodel import Session, col, select
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from server.db import HOLDS_WRITE_LOCK
from server.models import Device, DeviceKind, Queue, Service, Stop, StopStatus
from server.realtime.bus import Delivery, EventHub
from server.realtime.events import EventType

ISSUE_ROUTE = ("POST", "/api/v1/branches/{branch}/tickets")
CALL_ROUTE = ("POST", "/api/v1/counters/{counter}/call-next")
# A ticket issue holds the lock for a few milliseconds; an admin's save should too.
LOCK_HELD_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0)
LATENCY_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
_WAIT_STARTED = "madoguchi_metrics_begin_at"


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        registry = self.registry
        self.requests = Counter(
            "madoguchi_http_requests",
            "HTTP requests by route template and status",
            ["method", "route", "status"],
            registry=registry,
        )
        self.request_seconds = Histogram(
            "madoguchi_http_request_duration_seconds",
            "Time to answer, by route template",
            ["method", "route"],
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.issue_seconds = Histogram(
            "madoguchi_ticket_issue_seconds",
            "Time to issue a ticket (POST …/tickets)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.call_seconds = Histogram(
            "madoguchi_call_next_seconds",
            "Time to call the next ticket (POST …/call-next)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.bus_lag = Histogram(
            "madoguchi_bus_lag_seconds",
            "From an event's commit time to its fan-out in this process",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.write_lock_wait = Histogram(
            "madoguchi_write_lock_wait_seconds",
            "Time a writer waited to begin its transaction (SQLite write lock)",
            buckets=LATENCY_BUCKETS,
            registry=registry,
        )
        self.write_lock_held = Histogram(
            "madoguchi_write_lock_held_seconds",
            "Time a writer held the SQLite write lock (nobody else in this process writes meanwhile)",
            buckets=LOCK_HELD_BUCKETS,
            registry=registry,
        )
        self.printer_faults = Counter(
            "madoguchi_printer_faults",
            "Kiosk printers going into a fault or warning state",
            ["printer"],
            registry=registry,
        )
        self.websocket_clients = Gauge(
            "madoguchi_websocket_clients", "Boards, consoles and status pages following events", registry=registry
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)


class RequestMetrics:
    """ASGI middleware: count and time each HTTP request by its route template (never the raw
    path: tokens and ids would make every request its own series)."""

    def __init__(self, app: ASGIApp, *, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_and_note(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = int(message["status"])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            self._observe(scope, status, time.perf_counter() - started)

    def _observe(self, scope: Scope, status: int, seconds: float) -> None:
        method = str(scope.get("method", ""))
        template = _route_template(scope, status)
        self.metrics.requests.labels(method, template, str(status)).inc()
        self.metrics.request_seconds.labels(method, template).observe(seconds)
        if status < 400 and (method, template) == ISSUE_ROUTE:
            self.metrics.issue_seconds.observe(seconds)
        elif status < 400 and (method, template) == CALL_ROUTE:
            self.metrics.call_seconds.observe(seconds)


def _route_template(scope: Scope, status: int) -> str:
    """The matched route's template with the prefix it was included under
    ("/api/v1/counters/{counter}/open"): FastAPI keeps the prefix apart from the route, so it is
    the part of the path before what the route matched."""
    route = scope.get("route")
    suffix = getattr(route, "path_format", None)
    if not isinstance(suffix, str):
        return "unmatched" if status == 404 else "static"  # mounted files (pages' scripts, styles)
    path = str(scope.get("path", ""))
    try:
        matched = suffix.format(**{name: str(value) for name, value in (scope.get("path_params") or {}).items()})
    except (KeyError, IndexError, ValueError):
        return suffix
    return path[: len(path) - len(matched)] + suffix if matched and path.endswith(matched) else suffix


class DatabaseGauges(Collector):
    """What the database says at scrape time: waiting stops per queue, unprinted slips per kiosk,
    connected display boards (this process)."""

    def __init__(self, engine: Engine, connected_displays: Callable[[], int]) -> None:
        self.engine = engine
        self.connected_displays = connected_displays

    def collect(self) -> Iterator[GaugeMetricFamily]:
        waiting = GaugeMetricFamily(
            "madoguchi_waiting", "Stops waiting to be called, per queue", labels=["branch", "queue"]
        )
        unprinted = GaugeMetricFamily(
            "madoguchi_unprinted_slips",
            "Slips a kiosk could not print and keeps for staff",
            labels=["branch", "device"],
        )
        with Session(self.engine) as session:
            rows = session.exec(
                select(Queue.branch_id, Queue.prefix, func.count(col(Stop.id)))
                .join(Service, col(Service.queue_id) == col(Queue.id))
                .join(
                    Stop,
                    (col(Stop.service_id) == col(Service.id)) & (col(Stop.status) == StopStatus.waiting),
                    isouter=True,
                )
                .group_by(col(Queue.branch_id), col(Queue.prefix))
            ).all()
            kiosks = session.exec(
                select(Device).where(Device.kind == DeviceKind.kiosk, col(Device.revoked_at).is_(None))
            ).all()
        for branch_id, prefix, count in rows:
            waiting.add_metric([branch_id, prefix], float(count))
        for kiosk in kiosks:
            unprinted.add_metric([kiosk.branch_id, kiosk.name], float(kiosk.health.get("pending_prints", 0) or 0))
        yield waiting
        yield unprinted
        yield GaugeMetricFamily(
            "madoguchi_connected_displays", "Display boards connected to this process", value=self.connected_displays()
        )


def watch_write_lock(engine: Engine, metrics: Metrics) -> None:
    """Time from asking to begin a transaction to having begun it (for a writer on SQLite, the
    wait for the write lock). The first listener runs before the engine's own lock, the last after.
    And how long the lock was held: until the connection went back to the pool (server/db.py)."""

    @event.listens_for(engine, "begin", insert=True)
    def asked(connection: Any) -> None:
        connection.info[_WAIT_STARTED] = time.perf_counter()

    @event.listens_for(engine, "begin")
    def begun(connection: Any) -> None:
        started = connection.info.pop(_WAIT_STARTED, None)
        if started is not None:
            metrics.write_lock_wait.observe(time.perf_counter() - started)

    @event.listens_for(engine, "checkin", insert=True)  # before the engine's own listener lets go
    def released(_dbapi_connection: Any, record: Any) -> None:
        taken = record.info.get(HOLDS_WRITE_LOCK)
        if taken is not None:
            metrics.write_lock_held.observe(time.perf_counter() - taken)


def watch_bus(hub: EventHub, metrics: Metrics, clock: Callable[[], datetime]) -> None:
    def on_deliveries(deliveries: Sequence[Delivery]) -> None:
        now = clock()
        for delivery in deliveries:
            message = delivery.message
            at = message.get("at")
            if delivery.event_id is not None and isinstance(at, str):
                with contextlib.suppress(ValueError):  # not a timestamp: nothing to measure
                    metrics.bus_lag.observe(max(0.0, (now - datetime.fromisoformat(at)).total_seconds()))
            if message.get("type") == EventType.device_health and message.get("level") in ("fault", "warning"):
                metrics.printer_faults.labels(str(message.get("printer"))).inc()

    hub.add_fan_out_listener(on_deliveries)


def install_metrics(app: FastAPI, connected_displays: Callable[[], int]) -> Metrics:
    metrics = Metrics()
    metrics.registry.register(DatabaseGauges(app.state.engine, connected_displays))
    watch_write_lock(app.state.engine, metrics)
    watch_bus(app.state.bus, metrics, app.state.clock)
    app.add_middleware(RequestMetrics, metrics=metrics)
    app.state.metrics = metrics

    @app.get("/metrics", include_in_schema=False)
    def prometheus_metrics(request: Request) -> Response:
        metrics.websocket_clients.set(request.app.state.bus.subscriber_count)
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    return metrics
