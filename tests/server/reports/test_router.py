"""Report endpoints: who may read them, and the CSV carrying exactly the JSON's figures."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.models import Staff
from tests.server.reports.day import DAY, build_day
from tests.support import BRANCH, FixedClock

DAILY = f"/api/v1/branches/{BRANCH}/reports/daily"
STAFFING = f"/api/v1/branches/{BRANCH}/reports/staffing"


@pytest.fixture
def built(session: Session, clock: FixedClock, staff_users: dict[str, Staff]) -> None:
    build_day(session, clock, staff_users)


def csv_rows(response: Any) -> list[list[str]]:
    assert response.headers["content-type"].startswith("text/csv")
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 byte-order mark for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def json_leaves(value: Any, path: tuple[str, ...] = ()) -> dict[tuple[str, ...], Any]:
    """Every figure of the JSON by its path; list items are keyed by their first field."""
    if isinstance(value, dict):
        return {k: v for key, item in value.items() for k, v in json_leaves(item, (*path, str(key))).items()}
    if isinstance(value, list):
        leaves = {}
        for item in value:
            first = next(iter(item))
            rest = {key: v for key, v in item.items() if key != first}
            leaves.update(json_leaves(rest, (*path, str(item[first]))))
        return leaves
    return {path: value}


def csv_path(section: str, key: str, metric: str) -> tuple[str, ...]:
    if section == "report":
        return (metric,)
    return (*section.split("."), *([key] if key else []), metric)


@pytest.mark.usefixtures("built")
@pytest.mark.parametrize("user", ["admin", "shokuin"])
def test_city_staff_read_the_daily_report(client: TestClient, auth: dict[str, dict[str, str]], user: str) -> None:
    response = client.get(DAILY, params={"date": DAY}, headers=auth[user])
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["date"] == DAY
    assert body["percentile_method"] == "nearest-rank"
    assert body["staff_minutes"]["by_role"] == {"municipal": 20, "contractor": 23, "admin": 0}


def test_contractors_may_not_read_reports(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    for url in (DAILY, STAFFING):
        response = client.get(url, headers=auth["itaku"])
        assert response.status_code == 403
        assert response.json()["code"] == "reports_city_staff_only"


def test_reports_need_sign_in(client: TestClient) -> None:
    for url in (DAILY, STAFFING):
        assert client.get(url).status_code == 401


def test_another_branch_is_refused(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    response = client.get("/api/v1/branches/shisho/reports/daily", headers=auth["shokuin"])
    assert response.status_code == 403
    assert response.json()["code"] == "wrong_branch"


def test_bad_parameters_are_422(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    assert client.get(DAILY, params={"date": "2026-13-01"}, headers=auth["admin"]).status_code == 422
    assert client.get(DAILY, params={"format": "xml"}, headers=auth["admin"]).status_code == 422
    assert client.get(STAFFING, params={"day_type": "holiday"}, headers=auth["admin"]).status_code == 422
    assert client.get(STAFFING, params={"target_wait_minutes": 0}, headers=auth["admin"]).status_code == 422


@pytest.mark.usefixtures("built")
def test_the_date_defaults_to_today_in_the_branch(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    body = client.get(DAILY, headers=auth["admin"]).json()
    assert body["date"] == DAY  # the clock stands at 12:30 JST on 1 April
    assert body["totals"]["issued"] == 7


@pytest.mark.usefixtures("built")
def test_csv_and_json_carry_the_same_figures(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    body = client.get(DAILY, params={"date": DAY}, headers=auth["admin"]).json()
    response = client.get(DAILY, params={"date": DAY, "format": "csv"}, headers=auth["admin"])
    assert response.status_code == 200
    assert f"madoguchi-{BRANCH}-{DAY}.csv" in response.headers["content-disposition"]
    header, *rows = csv_rows(response)
    assert header == ["section", "key", "metric", "value"]
    from_csv = {csv_path(section, key, metric): value for section, key, metric, value in rows}
    expected = json_leaves(body)
    assert len(rows) == len(expected), "one CSV row per JSON figure, none twice"
    assert set(from_csv) == set(expected)
    for path, value in expected.items():
        if value is None:
            assert from_csv[path] == ""
        elif isinstance(value, int | float) and not isinstance(value, bool):
            assert float(from_csv[path]) == value, path
        else:
            assert from_csv[path] == str(value), path
    # And a few figures by their documented rows, as a spreadsheet user would look them up.
    lookup = {(s, k, m): v for s, k, m, v in rows}
    assert float(lookup[("waiting", "all", "p90_minutes")]) == 20
    assert float(lookup[("waiting.by_service", "certificate", "mean_minutes")]) == 10.75
    assert float(lookup[("staff_minutes", "by_role", "contractor")]) == 23
    assert float(lookup[("hourly", "10", "counters_open")]) == 1.75
    assert lookup[("hourly", "11", "arrivals")] == "2"
    assert lookup[("report", "", "date")] == DAY


@pytest.mark.usefixtures("built")
def test_staffing_plan_shape(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    response = client.get(STAFFING, params={"date": DAY, "target_wait_minutes": 15}, headers=auth["shokuin"])
    assert response.status_code == 200, response.text
    plan = response.json()
    assert plan["day_type"] == "peak"  # 1 April
    assert plan["source"] == "recorded"
    assert plan["recorded_days"] == [DAY]
    groups = {group["key"]: group for group in plan["groups"]}
    explanation = {row["hour"]: row for row in groups["6"]["hours"]}
    assert explanation[10]["arrivals"] == 1
    assert explanation[10]["needed"] == 1
    assert explanation[10]["actually_open"] == 1.0
