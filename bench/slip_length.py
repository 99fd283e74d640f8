"""Length of the printed slip (mm) of every demo life event answered "all yes".

    .venv/bin/python -m bench.slip_length [--quick] [--dump DIR]

A real server (`madoguchi serve`, demo city hall) issues each ticket through a kiosk device, as
the kiosk does; printer/render.py renders the slip the kiosk would print, and the image height
is converted to millimetres at the 80 mm printer's resolution (576 dots over 72 mm of print
width = 8 dots/mm, 203 dpi). The target: a life-event slip in about 15 cm of paper.
"""

import argparse
import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import httpx

from bench.harness import (
    BRANCH,
    PROJECT_DIR,
    fresh_database,
    machine_info,
    machine_markdown,
    markdown_table,
    prepare_database,
    running_server,
    work_directory,
    write_results,
)
from printer.render import get_paper_profile, render_ticket, slip_length_mm
from server.catalog.loader import load_config_file

API = "/api/v1"
CONFIG = PROJECT_DIR / "config" / "demo_city_hall.yaml"
TARGET_MM = 150.0
PROFILE = "80"
# Measured with the renderer of commit 59c8894 (one line pair per stop), same tickets.
BEFORE_MM = {
    "move_in": 375.2,
    "move_within": 283.4,
    "move_out": 296.5,
    "household_change": 217.8,
    "birth": 270.2,
    "marriage": 296.5,
    "divorce": 322.8,
    "death": 362.1,
}


def issue_all_yes(base_url: str, kiosk_token: str) -> dict[str, dict[str, Any]]:
    """Each demo life event's "all yes" ticket as the kiosk receives it."""
    config = load_config_file(CONFIG)
    kiosk = {"Authorization": f"Bearer {kiosk_token}"}
    tickets = {}
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for event in config.life_events:
            body = {"life_event": event.id, "answers": dict.fromkeys(event.questions, True)}
            issued = client.post(f"{API}/branches/{BRANCH}/tickets", json=body, headers=kiosk)
            issued.raise_for_status()
            tickets[event.id] = issued.json()
        branches = client.get(f"{API}/branches").json()
    branch_name = next(row["name"] for row in branches if row["id"] == BRANCH)
    return {"branch_name": branch_name, "tickets": tickets}


def measure(branch_name: str, tickets: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    paper = get_paper_profile(PROFILE)
    results = {}
    for event, ticket in tickets.items():
        slip = render_ticket(ticket, branch_name=branch_name, profile=paper)
        results[event] = {
            "stops": len(ticket["stops"]),
            "visits": len(ticket["visits"]),
            "height_dots": slip.height,
            "mm": round(slip_length_mm(slip, paper), 1),
        }
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="write to bench/results/quick/")
    parser.add_argument("--dump", type=Path, help="also save each ticket's JSON and slip PNG here")
    options = parser.parse_args(argv)
    with work_directory(None) as workdir, fresh_database(workdir, None, "slip_length") as database_url:
        accounts = prepare_database(database_url)
        with running_server(database_url, workdir / "server.log") as server:
            issued = issue_all_yes(server.base_url, accounts.kiosk_token)
    results = measure(issued["branch_name"], issued["tickets"])
    if options.dump:
        options.dump.mkdir(parents=True, exist_ok=True)
        for event, ticket in issued["tickets"].items():
            (options.dump / f"{event}.json").write_text(json.dumps(ticket, ensure_ascii=False, indent=2))
            render_ticket(ticket, branch_name=issued["branch_name"], profile=PROFILE).save(
                options.dump / f"{event}.png"
            )
    longest = max(row["mm"] for row in results.values())
    met = longest <= TARGET_MM
    machine = machine_info(database_url=None)
    data = {
        "profile_mm": int(PROFILE),
        "dots_per_mm": get_paper_profile(PROFILE).dots_per_mm,
        "target_mm": TARGET_MM,
        "slips": results,
        "before_mm": BEFORE_MM,
        "machine": machine,
        "table": {
            "slip_length": {
                "result": f"longest all-yes life-event slip {longest} mm (target ≤ {TARGET_MM:g} mm)",
                "met": met,
            }
        },
    }
    rows = [
        (event, row["stops"], row["visits"], row["height_dots"], f"{BEFORE_MM.get(event, '–')} → {row['mm']}")
        for event, row in results.items()
    ]
    markdown = (
        "# Slip length per life event (all answers yes, 80 mm paper)\n\n"
        + markdown_table(
            ("life event", "stops", "route lines (visits)", "height (dots)", "length mm (before → after)"), rows
        )
        + f"\n\nTarget ≤ {TARGET_MM:g} mm: {'met' if met else 'NOT met'} (longest {longest} mm). "
        "Tickets issued by a real server through a kiosk device; slips rendered by printer/render.py "
        f"at {get_paper_profile(PROFILE).dots_per_mm:g} dots/mm.\n\n" + machine_markdown(machine)
    )
    json_path, _ = write_results("slip_length", data, markdown, quick=options.quick)
    print(markdown)
    print(f"results: {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
