"""The visits export: the right visits of a range, one line each, CSV and JSON Lines, streamed in
pages; a bad range is a 4xx that says what to fix."""

import csv
import io
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from server.visits import export
from server.visits.export import VisitRange, jsonl_lines
from tests.server.webhooks.day import issue_day, work_the_day
from tests.support import BRANCH, FixedClock

URL = f"/api/v1/admin/branches/{BRANCH}/visits"


def two_weeks(client: TestClient, clock: FixedClock, auth: dict[str, dict[str, str]], kiosk: dict[str, str]) -> Any:
    clock.advance(days=-7)  # a week earlier, the same weekday (open); sign-ins stay valid
    first_day = clock().astimezone(export_zone()).date()
    issue_day(client, kiosk, 6)
    work_the_day(client, auth["admin"])
    clock.advance(days=7)
    second_day = clock().astimezone(export_zone()).date()
    later = issue_day(client, kiosk, 4)
    return first_day, second_day, later


def export_zone() -> ZoneInfo:
    return ZoneInfo("Asia/Tokyo")


def test_csv_and_json_lines_hold_the_visits_of_the_range(
    client: TestClient, clock: FixedClock, auth: dict[str, dict[str, str]], kiosk: dict[str, str]
) -> None:
    first_day, second_day, later = two_weeks(client, clock, auth, kiosk)
    admin = auth["admin"]

    one = client.get(URL, params={"from": str(first_day), "to": str(first_day), "format": "jsonl"}, headers=admin)
    assert one.status_code == 200, one.text
    assert one.headers["content-type"].startswith("application/x-ndjson")
    visits = [json.loads(line) for line in one.text.splitlines()]
    assert len(visits) == 6
    assert {visit["business_day"] for visit in visits} == {str(first_day)}
    life = next(visit for visit in visits if visit["life_event"] == "move_in")
    assert life["service"] is None
    assert len(life["stops"]) >= 3
    for stop in life["stops"]:
        assert set(stop) >= {"service", "stage", "counter", "waited_minutes", "served_minutes", "staff"}
    assert {stop["staff"] for visit in visits for stop in visit["stops"] if stop["status"] == "done"} <= {
        "municipal",
        "contractor",
    }
    assert all(visit["finished_at"] for visit in visits if visit["status"] in ("done", "no_show"))
    assert "answers" not in json.dumps(visits)
    assert "status_token" not in json.dumps(visits)

    both = client.get(URL, params={"from": str(first_day), "to": str(second_day)}, headers=admin)
    assert both.status_code == 200, both.text
    assert both.headers["content-type"].startswith("text/csv")
    assert "attachment" in both.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(both.content.decode("utf-8-sig"))))
    assert len(rows) == 10
    assert [row["number"] for row in rows if row["business_day"] == str(second_day)] == [t["number"] for t in later]
    moving = next(row for row in rows if row["life_event"] == "move_in" and row["status"] == "done")
    assert moving["stop1_service"] == "moving_in"
    assert moving["stop1_counter"]
    assert float(moving["stop1_served_minutes"]) >= 0
    assert moving["stop1_staff"] in ("municipal", "contractor")

    empty = client.get(URL, params={"from": "2020-01-01", "to": "2020-01-31"}, headers=admin)
    assert empty.status_code == 200
    assert empty.content.decode("utf-8-sig").strip() == ",".join(export.VISIT_COLUMNS)


def test_the_export_streams_in_pages(
    client: TestClient,
    engine: Engine,
    clock: FixedClock,
    auth: dict[str, dict[str, str]],
    kiosk: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    day = clock().astimezone(export_zone()).date()
    issued = issue_day(client, kiosk, 7)
    monkeypatch.setattr(export, "PAGE_SIZE", 3)
    chunks = list(jsonl_lines(engine, VisitRange(branch_id=BRANCH, first=day, last=day)))
    assert [chunk.count("\n") for chunk in chunks] == [3, 3, 1]
    numbers = [json.loads(line)["number"] for chunk in chunks for line in chunk.splitlines()]
    assert numbers == [ticket["number"] for ticket in issued]


BAD_RANGES = [
    ({"from": "2026-13-01", "to": "2026-12-31"}, "invalid_date"),
    ({"from": "yesterday", "to": "2026-12-31"}, "invalid_date"),
    ({"from": "2026-12-05", "to": "2026-12-01"}, "invalid_range"),
    ({"from": "2024-01-01", "to": "2026-12-31"}, "range_too_long"),
    ({"from": "2026-12-01"}, "validation_error"),
    ({"from": "2026-12-01", "to": "2026-12-05", "format": "xml"}, "validation_error"),
]


def test_a_bad_range_is_refused_with_a_clear_message(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    for params, code in BAD_RANGES:
        response = client.get(URL, params=params, headers=auth["admin"])
        assert response.status_code == 422, (params, response.text)
        assert response.json()["code"] == code, params
        if code != "validation_error":
            hints = ("YYYY-MM-DD", "earlier day first", "at most 366")
            assert any(hint in response.json()["detail"] for hint in hints), params


def test_only_administrators_export(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    params = {"from": "2026-12-01", "to": "2026-12-05"}
    assert client.get(URL, params=params, headers=auth["shokuin"]).status_code == 403
    assert client.get(URL, params=params).status_code == 401
