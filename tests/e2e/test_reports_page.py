"""The reports page and the post-visit survey in a real browser, against a real server process
(the Playwright sync API cannot run inside the server's event loop). The day is built through the API."""

import csv
import io
import math
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
from sqlalchemy import text

from bench.harness import stop_process
from bench.history import insert_history
from server.db import create_db_engine
from tests.e2e.support import run_cli
from tests.realtime.live_server import live_server as running_server
from tests.realtime.live_server import server_environment

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

ROOT = Path(__file__).resolve().parents[2]
OUTPUT = ROOT / "tests" / "output"
BRANCH = "honcho"
PASSWORD = "correct-horse-42"
USERS = (("admin", "admin"), ("shokuin", "municipal"), ("itaku", "contractor"))

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]


@dataclass
class LiveServer:
    url: str
    kiosk_token: str
    tokens: dict[str, str]

    def api(self, method: str, path: str, *, who: str | None = None, **body: Any) -> Any:
        token = self.tokens[who] if who else self.kiosk_token
        response = httpx.request(
            method, f"{self.url}/api/v1{path}", json=body or None, headers={"Authorization": f"Bearer {token}"}
        )
        assert response.is_success, f"{method} {path}: {response.status_code} {response.text}"
        return response.json() if response.content else None

    def issue(self, who: str | None = None, **body: Any) -> dict[str, Any]:
        ticket: dict[str, Any] = self.api("POST", f"/branches/{BRANCH}/tickets", who=who, **body)
        return ticket

    def act(self, counter: str, action: str, who: str) -> Any:
        counters = {c["name"]: c["id"] for c in self.api("GET", f"/branches/{BRANCH}/counters", who=who)}
        return self.api("POST", f"/counters/{counters[counter]}/{action}", who=who)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture(scope="module")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    database = tmp_path_factory.mktemp("e2e-reports") / "madoguchi.db"
    env = {
        **os.environ,
        "MADOGUCHI_DATABASE_URL": f"sqlite:///{database}",
        "MADOGUCHI_IGNORE_HOURS": "true",
        "MADOGUCHI_AUDIO_CACHE_DIR": str(database.parent / "audio"),
    }
    run_cli(env, "init")
    for username, role in USERS:
        run_cli(env, "staff", "add", username, "--role", role, "--password", PASSWORD, "--branch", BRANCH)
    kiosk_token = run_cli(env, "device", "add", "kiosk-1", "--kind", "kiosk").strip()
    port = _free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "server.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start")
            time.sleep(0.1)
        tokens = {
            username: httpx.post(
                f"{url}/api/v1/auth/login", json={"username": username, "password": PASSWORD}, timeout=10
            ).json()["access_token"]
            for username, _ in USERS
        }
        yield LiveServer(url=url, kiosk_token=kiosk_token, tokens=tokens)
    finally:
        stop_process(process)


@pytest.fixture(scope="module")
def day(live_server: LiveServer) -> dict[str, dict[str, Any]]:
    """Today, through the API: a served certificate, a no-show, a staff explanation, one still waiting.

    Real time passes between call and completion (about a second) so that service minutes are not zero.
    """
    served = live_server.issue(service="certificate")
    absent = live_server.issue(service="certificate")
    live_server.act("7", "open", "itaku")
    live_server.act("7", "call-next", "itaku")
    live_server.act("7", "start", "itaku")
    time.sleep(1.2)
    live_server.act("7", "complete", "itaku")
    live_server.act("7", "call-next", "itaku")
    live_server.act("7", "no-show", "itaku")
    explained = live_server.issue(who="shokuin", service="staff_explanation")
    live_server.act("6", "open", "shokuin")
    live_server.act("6", "call-next", "shokuin")
    time.sleep(1.2)
    live_server.act("6", "complete", "shokuin")
    waiting = live_server.issue(service="certificate")
    return {"served": served, "absent": absent, "explained": explained, "waiting": waiting}


# status.js buzzes the phone; headless chromium refuses vibrate() before a tap and says so.
PHONE_STUBS = "navigator.vibrate = () => true;"


def _watched_page(browser: Browser, **options: Any) -> tuple[Any, Page, list[str]]:
    context = browser.new_context(locale="ja-JP", **options)
    context.add_init_script(PHONE_STUBS)
    page = context.new_page()
    problems: list[str] = []

    def console(message: Any) -> None:
        # The browser's own favicon probe is not the page's doing (the server has no favicon).
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(f"{message.text} {message.location}")

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response", lambda r: problems.append(f"{r.status} {r.url}") if r.status >= 500 or r.status == 404 else None
    )
    return context, page, problems


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context, page, problems = _watched_page(browser, viewport={"width": 1366, "height": 900})
    yield page
    context.close()
    assert problems == []  # CSP violations and script errors end up here


@pytest.fixture
def phone(browser: Browser) -> Iterator[Page]:
    context, page, problems = _watched_page(browser, viewport={"width": 390, "height": 844}, is_mobile=True)
    yield page
    context.close()
    assert problems == [], problems


def _screenshot(page: Page, name: str) -> None:
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(OUTPUT / f"{name}.png"), full_page=True)


def _sign_in(page: Page, url: str, username: str) -> None:
    page.goto(url)
    page.get_by_label("ユーザー名").fill(username)
    page.get_by_label("パスワード").fill(PASSWORD)
    page.get_by_role("button", name="サインイン").click()


def test_the_status_page_asks_once_the_visit_is_done(
    live_server: LiveServer, day: dict[str, dict[str, Any]], phone: Page
) -> None:
    # Still waiting: no question.
    phone.goto(day["waiting"]["status_url"])
    expect(phone.locator("#number")).to_have_text(day["waiting"]["number"])
    expect(phone.locator("#survey")).to_have_count(0)

    phone.goto(day["served"]["status_url"])
    survey = phone.locator("#survey")
    expect(survey).to_be_visible()
    expect(survey).to_contain_text("本日の窓口の手続きはいかがでしたか")
    phone.locator("#language").click()  # the survey follows the page's language
    expect(survey).to_contain_text("How was your visit today?")
    phone.locator("#language").click()
    phone.get_by_role("button", name="送信する").click()
    expect(phone.locator("#survey-error")).to_contain_text("1〜5")  # a score is required

    phone.get_by_role("radio", name="4 満足").check()
    phone.get_by_label("待ち時間が長い").check()
    _screenshot(phone, "status-page-survey")
    phone.get_by_role("button", name="送信する").click()
    expect(phone.locator(".survey-thanks")).to_contain_text("ご回答ありがとうございました")

    # Reloading does not ask again.
    phone.reload()
    expect(phone.locator("#status")).to_contain_text("すべての手続きが終わりました")
    expect(phone.locator("#survey")).to_have_count(0)
    question = httpx.get(f"{live_server.url}/api/v1/tickets/{day['served']['status_token']}/satisfaction").json()
    assert question["answered"] is True


def test_the_reports_page_shows_the_days_figures(
    live_server: LiveServer, day: dict[str, dict[str, Any]], page: Page
) -> None:
    survey = f"{live_server.url}/api/v1/tickets/{{}}/satisfaction"
    if not httpx.get(survey.format(day["served"]["status_token"])).json()["answered"]:
        # Run on its own: answer as the status page test would have.
        httpx.post(survey.format(day["served"]["status_token"]), json={"score": 4, "reason": "long_wait"})
    httpx.post(
        survey.format(day["explained"]["status_token"]), json={"score": 2, "reason": "moved_many_times"}
    ).raise_for_status()
    _sign_in(page, f"{live_server.url}/admin/reports", "shokuin")
    report = live_server.api("GET", f"/branches/{BRANCH}/reports/daily", who="admin")

    expect(page.locator("#tile-issued .tile-value")).to_have_text("4")
    expect(page.locator("#tile-served .tile-value")).to_have_text("2")
    expect(page.locator("#tile-no-show .tile-value")).to_have_text("1")
    expect(page.locator("#report-date")).to_have_value(report["date"])

    # Hourly arrivals against open counters: one bar per hour, a line through the open counters.
    hours = len(report["hourly"])
    expect(page.locator("#chart-hourly rect.bar")).to_have_count(hours + 1)  # + the legend swatch
    expect(page.locator("#chart-hourly polyline.line")).to_have_count(1)
    arrivals = page.locator("#hourly-figures tbody tr td:nth-child(2)").all_text_contents()
    assert sum(int(n) for n in arrivals) == 4
    # Waiting histogram: three tickets were called (the one still waiting is not in it).
    expect(page.locator("#chart-wait rect.bar")).to_have_count(len(report["wait_histogram"]) + 1)
    assert sum(b["count"] for b in report["wait_histogram"]) == 3
    # ... and is counted apart, with the time it has waited so far.
    expect(page.locator("#tile-not-yet-called .tile-value")).to_have_text("1 人")
    expect(page.locator("#tile-not-yet-called .tile-note")).to_contain_text("これまでの待ち時間 平均")
    # Staff minutes: a municipal and a contractor part, both non-zero.
    expect(page.locator("#chart-staff rect.part-contractor")).to_have_count(2)  # bar + legend
    expect(page.locator("#chart-staff rect.part-city-reserved")).to_have_count(2)
    assert report["staff_minutes"]["contractor"] > 0
    assert report["staff_minutes"]["city_staff_on_staff_only"] > 0
    assert_cards_match_their_charts(page, report)
    # Satisfaction: the status page's answer (4) and this one (2).
    expect(page.locator("#tile-satisfaction .tile-value")).to_contain_text("3.00")
    expect(page.locator("#satisfaction-reasons")).to_contain_text("待ち時間が長い")
    expect(page.locator("#satisfaction-reasons")).to_contain_text("何度も移動した")
    # Waits by procedure, with names.
    expect(page.locator('#waits-figures tr[data-key="certificate"]')).to_contain_text("証明書")
    # Staffing planner beside what was open: window 7 served certificates today.
    certificates = page.locator('#staffing-figures tr[data-group="7+8+22"]')
    expect(certificates).to_be_visible()
    plan = live_server.api("GET", f"/branches/{BRANCH}/reports/staffing?date={report['date']}", who="admin")
    expected = next(group for group in plan["groups"] if group["key"] == "7+8+22")["hours"]
    shown = [
        (
            int(cell.get_attribute("data-hour") or -1),
            int(cell.get_attribute("data-needed") or -1),
            float(cell.get_attribute("data-open") or -1),
        )
        for cell in certificates.locator("td.cell").all()
    ]
    assert shown == [(row["hour"], row["needed"], row["actually_open"]) for row in expected]
    assert any(needed >= 1 for _, needed, _ in shown)  # three certificates arrived today
    _screenshot(page, "reports-page")

    # The CSV of the same day downloads and carries the same issued count.
    with page.expect_download() as download:
        page.locator("#csv-link").click()
    content = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(content)))
    assert rows[0] == ["section", "key", "metric", "value"]
    assert ["totals", "", "issued", "4"] in rows
    assert download.value.suggested_filename == f"madoguchi-{BRANCH}-{report['date']}.csv"

    # A planner question: a tighter target never needs fewer counters.
    before = sum(int(c.get_attribute("data-needed") or 0) for c in certificates.locator("td.cell").all())
    page.locator("#target-wait").fill("1")
    page.locator("#target-wait").dispatch_event("change")
    page.wait_for_load_state("networkidle")
    after = sum(int(c.get_attribute("data-needed") or 0) for c in certificates.locator("td.cell").all())
    assert after >= before

    # Today's page follows the branch: a new ticket shows up without a reload.
    expect(page.locator("#connection")).to_have_attribute("data-state", "live")
    live_server.issue(service="certificate")
    expect(page.locator("#tile-issued .tile-value")).to_have_text("5", timeout=15000)

    # A past day: nothing recorded, and no live connection.
    page.locator("#report-date").fill("2020-01-06")
    page.locator("#report-date").dispatch_event("change")
    expect(page.locator("#tile-issued .tile-value")).to_have_text("0")
    expect(page.locator("#connection")).to_be_hidden()
    expect(page.locator("#staffing-note")).to_contain_text("推計")


def assert_cards_match_their_charts(page: Page, report: dict[str, Any]) -> None:
    """Each summary card states the figure its chart draws: one computation per figure."""
    staff = report["staff_minutes"]
    city_percent = math.floor(staff["city_staff_share"] * 100 + 0.5)
    expect(page.locator("#tile-city-share .tile-value")).to_have_text(f"{city_percent}%")
    expect(page.locator('#chart-staff text[data-group="city"]')).to_have_text(f"職員 {city_percent}%")
    contractor_label = page.locator('#chart-staff text[data-group="contractor"]')
    if contractor_label.count():  # drawn when its part of the bar is wide enough to hold it
        expect(contractor_label).to_have_text(f"受託者 {100 - city_percent}%")
    legend = page.locator("#chart-staff text.legend").all_text_contents()
    assert not [line for line in legend if ": 0.0 " in line], legend  # time spent is never "0.0"
    city_minutes = page.locator("#tile-city-minutes .tile-value").inner_text().split()[0]
    assert f"{staff['city_staff']:.1f}" == city_minutes or staff["city_staff"] < 0.05
    wait_mean = page.locator("#tile-wait-mean .tile-value").inner_text().split()[0]
    expect(page.locator("#chart-wait desc")).to_contain_text(f"平均 {wait_mean} 分")
    answered = page.locator("#tile-satisfaction .tile-value").inner_text()
    assert f"({sum(report['satisfaction']['distribution'].values())})" in answered


def test_a_contractor_is_told_reports_are_for_city_staff(live_server: LiveServer, page: Page) -> None:
    _sign_in(page, f"{live_server.url}/admin/reports", "itaku")
    expect(page.get_by_role("alert")).to_contain_text("市職員のみ")


# --- 月次・年次: a city hall with a history -----------------------------------------------------------


@pytest.fixture(scope="module")
def hall_with_history(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """The demo city hall with some fourteen months of finished visits written straight into its
    database (bench.history), then served: counters went to a contractor six months ago (the
    reform), and a quarter of the visits answered the survey."""
    folder = tmp_path_factory.mktemp("e2e-reports-history")
    database = folder / "madoguchi.db"
    environment = server_environment(f"sqlite:///{database}", audio_cache_dir=str(folder / "audio"))
    run_cli(environment, "init")
    run_cli(environment, "staff", "add", "shokuin", "--role", "municipal", "--password", PASSWORD, "--branch", BRANCH)
    today = datetime.now(ZoneInfo("Asia/Tokyo")).date()
    reform = month_shift(today.replace(day=1), -6)
    engine = create_db_engine(f"sqlite:///{database}")
    try:
        insert_history(engine, branch_id=BRANCH, total=40 * 320, per_day=40, today=today, visit_events=True)
        with engine.begin() as connection:
            connection.execute(
                text(
                    "UPDATE stop SET staff_role = 'contractor'"
                    " WHERE service_id IN (SELECT id FROM service WHERE NOT staff_only)"
                    " AND ticket_id IN (SELECT id FROM ticket WHERE business_on >= :reform)"
                ),
                {"reform": reform},
            )
            connection.execute(
                text(
                    "INSERT INTO satisfactionresponse (ticket_id, branch_id, business_on, at, score, reason)"
                    " SELECT id, branch_id, business_on, finished_at, 1 + (id * 7) % 5, NULL FROM ticket"
                    " WHERE status = 'done' AND id % 4 = 0"
                )
            )
    finally:
        engine.dispose()
    with running_server(environment, folder, name="reports-history") as server:
        login = httpx.post(
            f"{server.base_url}/api/v1/auth/login", json={"username": "shokuin", "password": PASSWORD}, timeout=10
        )
        yield LiveServer(url=server.base_url, kiosk_token="", tokens={"shokuin": login.json()["access_token"]})


def month_shift(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def shown_minutes(value: float | None) -> str:
    """The page's minutes (format.js)."""
    if value is None:
        return "—"
    if value == 0:
        return "0"
    return "<0.1" if value < 0.05 else f"{value:.1f}"


def test_the_monthly_section_states_the_reports_figures(hall_with_history: LiveServer, page: Page) -> None:
    server = hall_with_history
    _sign_in(page, f"{server.url}/admin/reports", "shokuin")
    expect(page.locator("#tile-issued .tile-value")).to_be_visible()  # the day's page is up
    page.locator("#periods > summary").click()

    # Opened: this month so far, as the API states it.
    this_month = server.api("GET", f"/branches/{BRANCH}/reports/monthly", who="shokuin")
    expect(page.locator("#periods")).to_have_attribute("data-period", this_month["period"])
    expect(page.locator("#period-tile-issued .tile-value")).to_have_text(str(this_month["headline"]["issued"]))
    expect(page.locator("#period-month")).to_have_value(this_month["period"])

    # Last month against the same month a year before (before the reform).
    today = date.fromisoformat(this_month["last_day"])
    month = f"{month_shift(today.replace(day=1), -1):%Y-%m}"
    baseline = f"{month_shift(today.replace(day=1), -13):%Y-%m}"
    page.locator("#period-month").fill(month)
    page.locator("#period-month").dispatch_event("change")
    expect(page.locator("#periods")).to_have_attribute("data-period", month)
    page.locator("#baseline-last-year").click()
    expect(page.locator("#period-status")).to_contain_text(f"{baseline} と比較")
    report = server.api("GET", f"/branches/{BRANCH}/reports/monthly?month={month}&baseline={baseline}", who="shokuin")
    headline, difference = report["headline"], report["difference"]
    assert headline["issued"] > 0
    assert report["baseline"]["headline"]["issued"] > 0

    wait_p90 = page.locator("#period-tile-wait_p90_minutes")
    expect(wait_p90.locator(".tile-value")).to_have_text(f"{shown_minutes(headline['wait_p90_minutes'])} 分 min")
    assert float(wait_p90.locator(".tile-delta").get_attribute("data-delta") or "nan") == difference["wait_p90_minutes"]
    expect(page.locator("#period-tile-issued .tile-value")).to_have_text(str(headline["issued"]))
    expect(page.locator("#period-tile-city_staff_share .tile-value")).to_have_text(
        f"{math.floor(headline['city_staff_share'] * 100 + 0.5)}%"
    )
    # After the reform, less of the counter time is city staff's: the share tile says so.
    assert difference["city_staff_share"] < 0
    expect(page.locator("#period-tile-city_staff_share .tile-delta")).to_contain_text("▼")

    # The chart: one bar per day with tickets (p50), a line through the p90s, every day labelled.
    with_tickets = [row for row in report["rows"] if row["wait_p50_minutes"] is not None]
    expect(page.locator("#chart-period-wait rect.bar")).to_have_count(len(with_tickets) + 1)  # + legend
    expect(page.locator("#chart-period-wait circle.line-point")).to_have_count(len(with_tickets) + 1)
    expect(page.locator("#period-figures tbody tr")).to_have_count(len(report["rows"]))
    first = with_tickets[0]
    expect(page.locator(f'#period-figures tr[data-period="{first["period"]}"] td').nth(4)).to_have_text(
        shown_minutes(first["wait_p90_minutes"])
    )
    OUTPUT.mkdir(parents=True, exist_ok=True)
    page.locator("#periods").screenshot(path=str(OUTPUT / "reports-monthly.png"))

    # The CSV carries the same figures.
    with page.expect_download() as download:
        page.locator("#period-csv-link").click()
    assert download.value.suggested_filename == f"madoguchi-{BRANCH}-{month}-vs-{baseline}.csv"
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert rows[0] == ["section", "key", "metric", "value"]
    assert ["totals", "", "issued", str(headline["issued"])] in rows
    assert ["difference", "", "issued", str(difference["issued"])] in rows

    # Yearly: the months of this year so far.
    page.get_by_label("年次（1〜12月）").check()
    year = server.api("GET", f"/branches/{BRANCH}/reports/yearly", who="shokuin")
    expect(page.locator("#periods")).to_have_attribute("data-period", year["period"])
    expect(page.locator("#period-tile-issued .tile-value")).to_have_text(str(year["headline"]["issued"]))
    expect(page.locator("#period-figures tbody tr")).to_have_count(len(year["rows"]))
