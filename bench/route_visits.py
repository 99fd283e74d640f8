"""Calls and walking per life event, before and after "one visit per window".

    .venv/bin/python -m bench.route_visits

For every demo life event answered "all yes", a real server issues the ticket and staff work it
to the end (calling where it waits, going on where the same window takes the next procedure).
Counted: stops, spoken calls (ticket.called events), window visits, and window groups the citizen
returns to after leaving them. "Before" replays the previous release's configuration and rule
(`BEFORE_COMMIT`): the route in configuration order, one call per stop taken at a window.
"""

import argparse
import subprocess
from collections.abc import Sequence
from typing import Any

import httpx

from bench.harness import (
    BRANCH,
    PROJECT_DIR,
    STAFF_PASSWORD,
    STAFF_USERNAME,
    fresh_database,
    machine_info,
    machine_markdown,
    markdown_table,
    prepare_database,
    running_server,
    work_directory,
    write_results,
)
from server.catalog.loader import load_config_file, parse_config_text
from server.catalog.schemas import CityHallConfig

API = "/api/v1"
BEFORE_COMMIT = "3ac3a24"  # main before the visit at the counter
CONFIG = PROJECT_DIR / "config" / "demo_city_hall.yaml"


def revisits(windows: Sequence[str]) -> int:
    """How often the citizen goes back to a window group they had already left."""
    left: set[str] = set()
    count, previous = 0, None
    for window in windows:
        if window != previous:
            if window in left:
                count += 1
            if previous is not None:
                left.add(previous)
        previous = window
    return count


def window_groups(config: CityHallConfig) -> dict[str, str]:
    """Service → its public windows as the ticket names them ("1–5", "7・8")."""
    served: dict[str, list[str]] = {}
    for counter in config.counters:
        if counter.public:
            for service in counter.services:
                served.setdefault(service, []).append(counter.id)
    groups = {}
    for service, codes in served.items():
        numbers = sorted(int(code) for code in codes) if all(code.isdigit() for code in codes) else []
        contiguous = len(numbers) > 2 and numbers == list(range(numbers[0], numbers[-1] + 1))
        groups[service] = f"{numbers[0]}–{numbers[-1]}" if contiguous else "・".join(codes)
    return groups


def before(config: CityHallConfig) -> dict[str, dict[str, Any]]:
    """The previous rule: every stop in configuration order, each one called where a window takes it."""
    present = {service.id: service.citizen_present for service in config.services}
    groups = window_groups(config)
    results = {}
    for event in config.life_events:
        stops = [stop.service for stop in event.stops]
        at_windows = [groups[key] for key in stops if present[key] and key in groups]
        results[event.id] = {"stops": len(stops), "calls": len(at_windows), "revisits": revisits(at_windows)}
    return results


def walk(client: httpx.Client, staff: dict[str, str], ticket: dict[str, Any], counters: dict[str, int]) -> int:
    """Work the ticket to the end at the first counter serving each stop; returns the calls made."""
    config = load_config_file(CONFIG)
    first_counter = {}
    for counter in config.counters:
        for service in counter.services:
            first_counter.setdefault(service, counter.id)
    opened: set[int] = set()
    calls, view, at = 0, ticket, None
    while view["status"] != "done":
        stop = view["stops"][view["current_stop"]]
        if stop["status"] == "waiting":
            at = counters[first_counter[stop["service"]]]
            if at not in opened:
                client.post(f"{API}/counters/{at}/open", headers=staff).raise_for_status()
                opened.add(at)
            called = client.post(f"{API}/counters/{at}/call-next", headers=staff)
            called.raise_for_status()
            view = called.json()["ticket"]
            if view["stops"][view["current_stop"]]["status"] == "called":
                calls += 1
                client.post(f"{API}/counters/{at}/start", headers=staff).raise_for_status()
        completed = client.post(f"{API}/counters/{at}/complete", headers=staff)
        completed.raise_for_status()
        view = completed.json()["ticket"]
    for counter in opened:
        client.post(f"{API}/counters/{counter}/close", headers=staff).raise_for_status()
    return calls


def after(base_url: str, kiosk_token: str) -> dict[str, dict[str, Any]]:
    config = load_config_file(CONFIG)
    results = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        login = client.post(f"{API}/auth/login", json={"username": STAFF_USERNAME, "password": STAFF_PASSWORD})
        login.raise_for_status()
        staff = {"Authorization": f"Bearer {login.json()['access_token']}"}
        kiosk = {"Authorization": f"Bearer {kiosk_token}"}
        counters = {row["name"]: row["id"] for row in client.get(f"{API}/branches/{BRANCH}/counters").json()}
        for event in config.life_events:
            body = {"life_event": event.id, "answers": dict.fromkeys(event.questions, True)}
            issued = client.post(f"{API}/branches/{BRANCH}/tickets", json=body, headers=kiosk)
            issued.raise_for_status()
            ticket = issued.json()
            planned = [visit["counters"] for visit in ticket["visits"] if visit["kind"] == "counter"]
            calls = walk(client, staff, ticket, counters)
            results[event.id] = {
                "stops": len(ticket["stops"]),
                "calls": calls,
                "visits": len(planned),
                "revisits": revisits(planned),
                "route": [f"{visit['counters'] or '—'}: {'・'.join(visit['labels'])}" for visit in ticket["visits"]],
            }
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="write to bench/results/quick/")
    options = parser.parse_args(argv)
    old_text = subprocess.run(
        ["git", "show", f"{BEFORE_COMMIT}:config/demo_city_hall.yaml"],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    old = before(parse_config_text(old_text, source=f"{BEFORE_COMMIT}:config/demo_city_hall.yaml"))
    with work_directory(None) as workdir, fresh_database(workdir, None, "route_visits") as database_url:
        accounts = prepare_database(database_url, with_staff=True)
        with running_server(database_url, workdir / "server.log") as server:
            new = after(server.base_url, accounts.kiosk_token)
    rows = [
        (
            event,
            f"{old[event]['stops']} → {new[event]['stops']}",
            f"{old[event]['calls']} → {new[event]['calls']}",
            new[event]["visits"],
            f"{old[event]['revisits']} → {new[event]['revisits']}",
        )
        for event in new
    ]
    fewer = all(new[event]["calls"] <= old[event]["calls"] for event in new)
    no_revisits = all(new[event]["revisits"] == 0 for event in new)
    calls_are_visits = all(new[event]["calls"] == new[event]["visits"] for event in new)
    summary = ", ".join(f"{event} {old[event]['calls']}→{new[event]['calls']}" for event in new)
    machine = machine_info(database_url=None)
    data = {
        "before_commit": BEFORE_COMMIT,
        "before": old,
        "after": new,
        "machine": machine,
        "table": {
            "calls": {
                "result": f"calls per all-yes life event {summary}; window groups revisited: "
                f"{sum(old[e]['revisits'] for e in new)} → {sum(new[e]['revisits'] for e in new)}",
                "met": fewer and no_revisits and calls_are_visits,
            }
        },
    }
    routes = "\n".join(f"- **{event}**: " + " → ".join(new[event]["route"]) for event in new)
    markdown = (
        "# Calls and walking per life event (all answers yes)\n\n"
        + markdown_table(("life event", "stops", "calls (before → after)", "window visits", "revisits"), rows)
        + f"\n\nBefore: the configuration and rule of commit {BEFORE_COMMIT} (one call per stop at a window, "
        "configuration order). After: a real server, staff working each ticket to the end.\n\n"
        + "## Routes as the citizen reads them\n\n"
        + routes
        + "\n\n"
        + machine_markdown(machine)
    )
    json_path, _ = write_results("route_visits", data, markdown, quick=options.quick)
    print(markdown)
    print(f"results: {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
