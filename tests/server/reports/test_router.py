"""Report endpoints: who may read them, and the CSV carrying exactly the JSON's figures."""

import csv
import io
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlmodel import Session

from server.models import Staff
from tests.server.reports.day import DAY, build_day
from tests.server.reports.days import NOW, build_days
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
    # T7, issued at 11:50 and not called yet, has waited 40 minutes so far; the wait figures,
    # which count only the tickets called, leave it out.
    assert body["not_yet_called"] == {"count": 1, "mean_minutes": 40.0, "p50_minutes": 40.0, "p90_minutes": 40.0}
    assert body["waiting"]["all"]["count"] == 6
    # Another day has no "so far".
    yesterday = client.get(DAILY, params={"date": "2026-03-31"}, headers=auth["admin"]).json()
    assert yesterday["not_yet_called"] is None


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


# --- monthly and yearly ----------------------------------------------------------------------------

MONTHLY = f"/api/v1/branches/{BRANCH}/reports/monthly"
YEARLY = f"/api/v1/branches/{BRANCH}/reports/yearly"


@pytest.fixture
def built_days(session: Session, clock: FixedClock, staff_users: dict[str, Staff]) -> None:
    build_days(session, clock, staff_users)  # leaves the clock at 17:30 on 1 May 2026


@pytest.fixture
def after_the_days(clock: FixedClock) -> None:
    """The clock where build_days leaves it (before anyone signs in), without the days."""
    clock.set(NOW)


def assert_csv_carries_the_json(response: Any, body: Any) -> list[list[str]]:
    header, *rows = csv_rows(response)
    assert header == ["section", "key", "metric", "value"]
    from_csv = {csv_path(section, key, metric): value for section, key, metric, value in rows}
    expected = json_leaves(body)
    assert len(rows) == len(expected), "one CSV row per JSON figure, none twice"
    assert set(from_csv) == set(expected)
    for path, value in expected.items():
        if value is None:
            assert from_csv[path] == ""
        elif isinstance(value, bool):
            assert from_csv[path] == str(value), path
        elif isinstance(value, int | float):
            assert float(from_csv[path]) == value, path
        else:
            assert from_csv[path] == str(value), path
    return rows


@pytest.mark.usefixtures("built_days")
def test_city_staff_read_the_monthly_and_yearly_reports(client: TestClient, auth: dict[str, dict[str, str]]) -> None:
    user = "shokuin"  # and admin, in the CSV tests
    month = client.get(MONTHLY, params={"month": "2026-04", "baseline": "2025-04"}, headers=auth[user])
    assert month.status_code == 200, month.text
    body = month.json()
    assert (body["kind"], body["period"], body["row_unit"]) == ("monthly", "2026-04", "day")
    assert len(body["rows"]) == 30
    assert body["baseline"]["period"] == "2025-04"
    assert body["difference"]["issued"] == body["totals"]["issued"] - body["baseline"]["totals"]["issued"]
    year = client.get(YEARLY, params={"year": "2026"}, headers=auth[user])
    assert year.status_code == 200, year.text
    assert [row["period"] for row in year.json()["rows"]] == ["2026-01", "2026-02", "2026-03", "2026-04", "2026-05"]
    assert year.json()["baseline"] is None


def test_contractors_may_not_read_monthly_or_yearly_reports(
    client: TestClient, auth: dict[str, dict[str, str]]
) -> None:
    for url in (MONTHLY, YEARLY):
        response = client.get(url, headers=auth["itaku"])
        assert response.status_code == 403
        assert response.json()["code"] == "reports_city_staff_only"
        assert client.get(url).status_code == 401
        other = client.get(url.replace(f"/{BRANCH}/", "/shisho/"), headers=auth["shokuin"])
        assert other.json()["code"] == "wrong_branch"


@pytest.mark.usefixtures("built_days")
@pytest.mark.parametrize(
    ("url", "params", "filename"),
    [
        (MONTHLY, {"month": "2026-04", "baseline": "2025-04"}, "2026-04-vs-2025-04"),
        (YEARLY, {"year": "2026", "baseline": "2025"}, "2026-vs-2025"),
    ],
)
def test_period_csv_carries_the_same_figures(
    client: TestClient, auth: dict[str, dict[str, str]], url: str, params: dict[str, str], filename: str
) -> None:
    body = client.get(url, params=params, headers=auth["admin"]).json()
    response = client.get(url, params={**params, "format": "csv"}, headers=auth["admin"])
    assert response.status_code == 200
    assert f"madoguchi-{BRANCH}-{filename}.csv" in response.headers["content-disposition"]
    rows = assert_csv_carries_the_json(response, body)
    lookup = {(s, k, m): v for s, k, m, v in rows}
    assert int(lookup[("totals", "", "issued")]) == body["totals"]["issued"]
    assert float(lookup[("headline", "", "wait_p90_minutes")]) == body["waiting"]["all"]["p90_minutes"]
    first_row = body["rows"][0]["period"]
    assert int(lookup[("rows", first_row, "issued")]) == body["rows"][0]["issued"]
    if "baseline" in params:
        assert int(lookup[("difference", "", "issued")]) == body["difference"]["issued"]
        assert int(lookup[("baseline", "totals", "issued")]) == body["baseline"]["totals"]["issued"]


@pytest.mark.usefixtures("after_the_days")
@pytest.mark.parametrize(
    ("url", "params", "code"),
    [
        (MONTHLY, {"month": "2026-13"}, "bad_month"),
        (MONTHLY, {"month": "2026/04"}, "bad_month"),
        (MONTHLY, {"month": "2026-06"}, "month_in_future"),
        (MONTHLY, {"month": "2026-04", "baseline": "last year"}, "bad_month"),
        (MONTHLY, {"month": "2026-04", "baseline": "2026-07"}, "month_in_future"),
        (YEARLY, {"year": "26"}, "bad_year"),
        (YEARLY, {"year": "2027"}, "year_in_future"),
        (YEARLY, {"year": "2026", "baseline": "2026-04"}, "bad_year"),
    ],
)
def test_a_bad_or_future_period_is_a_japanese_first_422(
    client: TestClient, auth: dict[str, dict[str, str]], url: str, params: dict[str, str], code: str
) -> None:
    response = client.get(url, params=params, headers=auth["admin"])
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == code
    japanese, english = body["detail"].split("。 ", 1)[0], body["detail"].rsplit("。 ", 1)[-1]
    assert not japanese.isascii(), body["detail"]  # Japanese first …
    assert english.isascii(), body["detail"]  # … then English
