"""Run one simulated day end to end: database, servers, staff, visitors, displays, faults; then
the checks. `run_day()` is what `madoguchi simulate`, the drills and the tests call."""

import asyncio
import logging
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, col, select

from bench.harness import fresh_database, is_postgresql
from bench.simulation.actors import (
    Api,
    CounterAgent,
    Day,
    DisplayBoard,
    SimClock,
    Stats,
    visit,
    wait_for,
)
from bench.simulation.checks import DayResult, check_day
from bench.simulation.city import (
    CLOCK_STARTS_AT,
    DAYS,
    JST,
    Behaviour,
    arrivals,
    local,
    staffing_plan,
)
from bench.simulation.setup import PASSWORD, Accounts, ServerProcess, prepare, stop_all
from server.catalog.loader import load_config_file
from server.config import DEFAULT_CONFIG_PATH
from server.db import create_db_engine
from server.drill_clock import DrillClock
from server.models import Counter, Service, Stop, StopStatus

logger = logging.getLogger("madoguchi.simulate")


@dataclass
class Fault:
    """Something done to the running system at a simulated time (a drill)."""

    name: str
    at: datetime
    action: Callable[["Running"], Awaitable[dict[str, Any]]]


@dataclass
class Options:
    day: str = "normal"
    tickets: int | None = None
    speed: float = 60.0
    seed: int = 1
    database_url: str | None = None  # a PostgreSQL server URL (a new database is made), or a SQLite URL
    use_database_as_is: bool = False  # database_url is already a new, empty database (tests)
    processes: int = 1
    displays: int = 2
    workdir: Path | None = None
    keep: bool = False
    # Real seconds the whole day may take before it is declared stuck.
    real_time_limit: float = 3600.0
    server_env: dict[str, str] = field(default_factory=dict)


@dataclass
class Running:
    """What a fault's action can reach while the day runs."""

    day: Day
    servers: list[ServerProcess]
    displays: list[DisplayBoard]
    engine: Engine
    options: Options
    accounts: Accounts


@contextmanager
def _database(options: Options, workdir: Path) -> Iterator[str]:
    url = options.database_url
    if url is not None and (options.use_database_as_is or not is_postgresql(url)):
        yield url
        return
    with fresh_database(workdir, url, f"sim_{options.day}", keep=options.keep) as fresh:
        yield fresh


def run_day(options: Options, faults: list[Fault] | None = None) -> DayResult:
    kind = DAYS[options.day]
    if options.processes > 1 and not (options.database_url and is_postgresql(options.database_url)):
        raise SystemExit("--processes 2 needs PostgreSQL (--database-url postgresql://…): SQLite has one writer")
    with _workdir(options) as workdir, _database(options, workdir) as database_url:
        config = load_config_file(DEFAULT_CONFIG_PATH)
        priority_keys = [category.id for category in config.priority_categories]
        visitors = arrivals(
            config, on=kind.on, tickets=options.tickets or kind.tickets, seed=options.seed, priority_keys=priority_keys
        )
        plan = staffing_plan(config, visitors)
        engine = create_db_engine(database_url)
        try:
            accounts = prepare(
                engine,
                plan.config,
                plan.roles,
                displays=max(options.displays, options.processes),
                now=datetime.now(JST),
            )
            # The clock starts a few real seconds from now, when the servers are up.
            drill = DrillClock(start=local(kind.on, CLOCK_STARTS_AT), origin=time.time() + 8.0, speed=options.speed)
            servers = [
                ServerProcess(f"p{n + 1}", database_url, drill, workdir, extra_env=dict(options.server_env))
                for n in range(options.processes)
            ]
            try:
                for server in servers:
                    server.start()
                started = time.monotonic()
                running = asyncio.run(
                    _simulate(options, plan, visitors, accounts, servers, engine, SimClock(drill), faults or [])
                )
                real_seconds = time.monotonic() - started
            finally:
                stop_all(servers)
            return check_day(
                engine,
                running,
                options=options,
                kind=kind,
                plan=plan,
                visitors=visitors,
                real_seconds=real_seconds,
                server_logs=[server.log_path for server in servers],
            )
        finally:
            engine.dispose()


@contextmanager
def _workdir(options: Options) -> Iterator[Path]:
    if options.workdir is not None:
        options.workdir.mkdir(parents=True, exist_ok=True)
        yield options.workdir
        return
    with tempfile.TemporaryDirectory(prefix="madoguchi-sim-") as temporary:
        yield Path(temporary)


def _waiting_by_service(engine: Engine) -> dict[str, int]:
    with Session(engine) as session:
        rows = session.exec(
            select(Service.key, func.count())
            .join(Stop, col(Stop.service_id) == Service.id)
            .where(Stop.status == StopStatus.waiting)
            .group_by(col(Service.key))
        ).all()
    return {key: int(count) for key, count in rows}


def _active_stops(engine: Engine) -> int:
    with Session(engine) as session:
        return int(
            session.exec(
                select(func.count())
                .select_from(Stop)
                .where(col(Stop.status).in_([StopStatus.waiting, StopStatus.called, StopStatus.serving]))
            ).one()
        )


def _last_event_id(engine: Engine) -> int:
    from server.realtime.events import last_event_id

    with Session(engine) as session:
        return last_event_id(session)


async def _simulate(
    options: Options,
    plan: Any,
    visitors: list[Any],
    accounts: Any,
    servers: list[ServerProcess],
    engine: Engine,
    clock: SimClock,
    faults: list[Fault],
) -> Running:
    config = plan.config
    api = Api([server.url for server in servers], stats=Stats())
    day = Day(
        clock=clock,
        api=api,
        plan=plan,
        behaviour=Behaviour(options.seed),
        branch=config.branch.id,
        typical_minutes={service.id: service.minutes for service in config.services},
        reason_codes=[code.id for code in config.reason_codes],
        stats=api.stats,
    )
    with Session(engine) as session:
        counter_ids = {counter.code: counter.id for counter in session.exec(select(Counter)).all()}
    staff_only = {service.id for service in config.services if service.staff_only}
    agents = [
        CounterAgent(
            day=day,
            counter_id=counter_ids[counter.id],
            code=counter.id,
            role=plan.roles[counter.id],
            username=accounts.staff[counter.id][0],
            password=PASSWORD,
            services=list(counter.services),
            staff_only=staff_only,
            prefer=n % len(servers),
        )
        for n, counter in enumerate(config.counters)
    ]
    concierge = CounterAgent(
        day=day,
        counter_id=0,
        code="concierge",
        role="contractor",
        username=accounts.staff["concierge"][0],
        password=PASSWORD,
        services=[],
        staff_only=set(),
        prefer=0,
    )
    await concierge.login()
    displays = [
        DisplayBoard(f"display-{n + 1}", token, api.urls, day.branch, prefer=n % len(servers))
        for n, token in enumerate(accounts.display_tokens)
    ]
    running = Running(day=day, servers=servers, displays=displays, engine=engine, options=options, accounts=accounts)
    stop_displays = asyncio.Event()
    display_tasks = [asyncio.create_task(display.run(stop_displays)) for display in displays]
    if not await wait_for(lambda: all(d.first_id is not None for d in displays), seconds=30):
        raise RuntimeError("the displays did not receive their first snapshot")
    agent_tasks = [asyncio.create_task(agent.run()) for agent in agents]
    sync_task = asyncio.create_task(_keep_work_in_sync(day, engine))
    fault_tasks = [asyncio.create_task(_run_fault(fault, running)) for fault in faults]
    issue_tasks: list[asyncio.Task[None]] = []
    for visitor in visitors:
        await clock.sleep_until(visitor.at - timedelta(seconds=1))
        issue_tasks.append(
            asyncio.create_task(
                visit(
                    day,
                    visitor,
                    kiosk_token=accounts.kiosk_token,
                    concierge_token=concierge.token,
                    prefer=visitor.index % len(servers),
                )
            )
        )
    await asyncio.gather(*issue_tasks)
    deadline = time.monotonic() + options.real_time_limit
    while True:
        await asyncio.sleep(1.0)
        if await asyncio.to_thread(_active_stops, engine) == 0:
            break
        # Staff stay until the queue is empty, into the night if they must (a slow machine can
        # leave the simulated day behind its clock); a stuck day is cut off in real time.
        if time.monotonic() > deadline or clock.now() > visitors[-1].at + timedelta(hours=14):
            day.notes.append("the day did not finish: tickets still active at the deadline")
            break
    await asyncio.gather(*fault_tasks, return_exceptions=True)
    day.finished.set()
    day.work.changed.set()
    await asyncio.gather(*agent_tasks)
    sync_task.cancel()
    # Displays get the last events (counter closings) before they are switched off.
    newest = await asyncio.to_thread(_last_event_id, engine)
    if not await wait_for(lambda: all((d.last_id or 0) >= newest for d in displays), seconds=30):
        day.notes.append("a display never caught up with the last event")
    stop_displays.set()
    await asyncio.gather(*display_tasks, return_exceptions=True)
    await api.close()
    if day.kiosk_agent is not None:
        await day.kiosk_agent.aclose()
    for cleanup in day.cleanups:
        cleanup()
    return running


async def _keep_work_in_sync(day: Day, engine: Engine) -> None:
    """What staff consoles show as waiting, read every couple of seconds: corrects the live
    counts for what the simulator cannot see (a ticket issued just before a crash)."""
    while True:
        await asyncio.sleep(2.0)
        try:
            day.work.replace(await asyncio.to_thread(_waiting_by_service, engine))
        except Exception:  # a drill may have the database briefly away
            logger.exception("could not read the waiting counts")


async def _run_fault(fault: Fault, running: Running) -> None:
    await running.day.clock.sleep_until(fault.at)
    started = running.day.clock.now()
    try:
        outcome = await fault.action(running)
    except Exception as error:
        logger.exception("fault %s failed", fault.name)
        outcome = {"error": repr(error)}
    running.day.notes.append(f"fault {fault.name} at {started.astimezone(JST):%H:%M}: {outcome}")
    running.day.fault_outcomes[fault.name] = outcome
