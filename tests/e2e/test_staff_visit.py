"""The visit at the counter in the staff console, in a real browser against a real server: work
taken at a desk is not a call, the same window goes on with the next procedure, 「番号で探す」
changes the rest of a route, 不在 asks first and can be undone, the recall limit is shown."""

import shutil
from collections.abc import Iterator
from typing import Any

import pytest

from server.config import PROJECT_ROOT
from tests.e2e.test_staff_console import BRANCH, CityHall, choose_counter, sign_in, staffed_city_hall

playwright_sync = pytest.importorskip("playwright.sync_api")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

OUTPUT = PROJECT_ROOT / "tests" / "output"
DESKTOP = {"width": 1366, "height": 768}
TABLET = {"width": 1024, "height": 768}

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]


@pytest.fixture(scope="module")
def city_hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CityHall]:
    with staffed_city_hall(tmp_path_factory.mktemp("staff-visit"), "staff-visit") as hall:
        yield hall


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP")
    page = context.new_page()
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.on(
        "response",
        lambda response: problems.append(f"{response.status} {response.url}") if response.status >= 500 else None,
    )
    yield page
    context.close()
    # A refused request is logged by the browser as a failed resource; the ones we provoke are 4xx.
    assert [problem for problem in problems if "the server responded with a status of 4" not in problem] == []


def _screenshots(page: Page, name: str) -> None:
    """The viewport as the clerk sees it, at the counter PC's size and at tablet size."""
    OUTPUT.mkdir(parents=True, exist_ok=True)
    for label, size in (("1366", DESKTOP), ("tablet", TABLET)):
        page.set_viewport_size(size)
        page.wait_for_timeout(150)
        page.screenshot(path=str(OUTPUT / f"{name}-{label}.png"))
    page.set_viewport_size(DESKTOP)


def _ticket(city_hall: CityHall, number: str) -> Any:
    return city_hall.api("GET", f"/branches/{BRANCH}/tickets/{number}")


def test_desk_takes_back_office_work_without_calling_anyone(city_hall: CityHall, page: Page) -> None:
    ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, life_event="move_in", answers={})
    city_hall.act("2", "open", who="itaku")
    assert city_hall.act("2", "call-next", who="itaku")["ticket"]["number"] == ticket["number"]
    city_hall.act("2", "complete", who="itaku")
    city_hall.act("2", "close", who="itaku")

    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    choose_counter(page, "R1")
    page.locator('[data-action="call-next"]').click()  # 取る

    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    status = page.locator("#current-status")
    expect(status).to_have_attribute("data-kind", "taken")
    expect(status).to_contain_text("受付済み・処理中")
    expect(status).to_contain_text("Taken")
    expect(page.locator(".in-hand")).not_to_contain_text("呼出中")
    expect(page.locator(".in-hand")).not_to_contain_text("Called")
    expect(page.locator('[data-action="recall"]')).to_have_count(0)
    expect(page.locator('[data-action="no-show"]')).to_have_count(0)
    # The route as visits: the window visit done, the back office taken, the pick-up to come.
    visits = page.locator("#hand-route > li")
    expect(visits).to_have_count(3)
    expect(visits.nth(0)).to_have_attribute("data-status", "done")
    expect(visits.nth(0)).to_contain_text("2番窓口: 転入届")  # where it was done
    expect(visits.nth(1)).to_have_attribute("data-status", "current")
    expect(visits.nth(1)).to_contain_text("書類の準備")
    expect(visits.nth(1)).to_contain_text("受付済み・処理中")
    expect(visits.nth(2)).to_contain_text("7・8番窓口: お渡し")
    assert _ticket(city_hall, ticket["number"])["status"] == "processing"
    _screenshots(page, "staff-visit-desk-taken")


def test_same_window_goes_on_with_the_next_procedure(city_hall: CityHall, page: Page) -> None:
    ticket = city_hall.api(
        "POST",
        f"/branches/{BRANCH}/tickets",
        kiosk=True,
        life_event="move_in",
        answers={"wants_seal_registration": True},
    )
    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    choose_counter(page, "3")
    page.locator('[data-action="call-next"]').click()
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    expect(page.locator("#current-status")).to_contain_text("呼出中")
    expect(page.locator("#continued")).to_have_count(0)
    page.locator('[data-action="start"]').click()
    page.locator('[data-action="complete"]').click()

    # Not an empty counter: the same citizen, the next procedure, no new call.
    continued = page.locator("#continued")
    expect(continued).to_contain_text("続けて: 印鑑登録")
    expect(continued).to_contain_text("転入届は完了")
    expect(page.locator("#current-number")).to_have_text(ticket["number"])
    expect(page.locator("#current-status")).to_contain_text("対応中")
    expect(page.locator('[data-action="call-next"]')).to_be_disabled()
    expect(page.locator("#hand-route > li").first).to_contain_text("3番窓口: 転入届・印鑑登録")
    _screenshots(page, "staff-visit-continued")

    page.locator('[data-action="complete"]').click()
    expect(page.locator("#current-number")).to_have_count(0)
    expect(page.locator("#next-stop")).to_contain_text("書類の準備")
    stops = _ticket(city_hall, ticket["number"])["stops"]
    assert [stop["status"] for stop in stops[:3]] == ["done", "done", "waiting"]


def test_lookup_changes_the_rest_of_the_route_and_a_refusal_changes_nothing(city_hall: CityHall, page: Page) -> None:
    ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, life_event="move_in", answers={})
    number = ticket["number"]
    sign_in(page, f"{city_hall.url}/staff", "shokuin")

    # Typed as a Japanese keyboard types it: full-width letters and digits.
    page.locator("#lookup-number").fill(number.translate(str.maketrans("0123456789L", "０１２３４５６７８９Ｌ")))
    page.locator("#lookup-submit").click()
    dialog = page.locator("#ticket-dialog")
    expect(dialog).to_be_visible()
    expect(dialog.locator("#found-number")).to_have_text(number)
    expect(dialog.locator("#found-status")).to_contain_text("お待ち")
    expect(dialog.locator("#found-route > li").first).to_contain_text("1〜5番窓口: 転入届")

    # The citizen forgot the seal registration: add it, move it up next to the moving-in.
    dialog.locator("#route-add").select_option("seal_registration")
    dialog.locator("#route-add-button").click()
    draft = dialog.locator("#route-draft > li")
    expect(draft.last).to_have_attribute("data-service", "seal_registration")
    seal = dialog.locator('#route-draft > li[data-service="seal_registration"]')
    for _ in range(3):  # up past pick-up and the back office, to just after the moving-in
        seal.locator('[data-move="up"]').click()
    expect(dialog.locator("#route-draft > li").nth(1)).to_have_attribute("data-service", "seal_registration")
    dialog.locator("#route-save").click()
    expect(dialog.locator("#route-reason")).to_be_focused()  # a reason is required
    dialog.get_by_role("button", name="手続きの追加（お客様の申し出）").click()
    _screenshots(page, "staff-visit-route-editor")
    dialog.locator("#route-save").click()

    expect(dialog.locator("#found-route > li").first).to_contain_text("1〜5番窓口: 転入届・印鑑登録")
    services = [stop["service"] for stop in _ticket(city_hall, number)["stops"]]
    assert services == ["moving_in", "seal_registration", "civil_review", "civil_entry", "pickup"]

    # A second change, refused: meanwhile the citizen was called elsewhere and marked absent.
    dialog.locator("#route-add").select_option("residence_card")
    dialog.locator("#route-add-button").click()
    dialog.locator("#route-reason").fill("在留カードの記載を追加")
    city_hall.act("4", "open", who="itaku")
    assert city_hall.act("4", "call-next", who="itaku")["ticket"]["number"] == number
    city_hall.act("4", "no-show", who="itaku")
    city_hall.act("4", "close", who="itaku")
    dialog.locator("#route-save").click()

    error = dialog.locator("#route-error")
    expect(error).to_contain_text("変更できませんでした")
    expect(error).to_contain_text("can no longer change")  # the server's own words
    expect(dialog.locator("#found-route")).not_to_contain_text("在留カード")
    expect(dialog.locator("#found-status")).to_contain_text("不在")
    after = _ticket(city_hall, number)
    assert [stop["service"] for stop in after["stops"]] == services
    _screenshots(page, "staff-visit-refused-and-reinstate")

    # From here the clerk can bring the citizen back.
    dialog.locator("#reinstate").click()
    expect(dialog.locator("#found-status")).to_contain_text("お待ち")
    assert _ticket(city_hall, number)["status"] == "waiting"
    dialog.locator("#ticket-close").click()
    expect(dialog).to_be_hidden()
    # Leave the 1–5 queue empty for the tests after this one.
    city_hall.act("4", "open", who="itaku")
    assert city_hall.act("4", "call-next", who="itaku")["ticket"]["number"] == number
    city_hall.act("4", "no-show", who="itaku")
    city_hall.act("4", "close", who="itaku")


def test_no_show_asks_first_and_can_be_undone(city_hall: CityHall, page: Page) -> None:
    ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, service="certificate")
    number = ticket["number"]
    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    choose_counter(page, "8")
    page.locator('[data-action="call-next"]').click()
    expect(page.locator("#current-number")).to_have_text(number)

    # 不在 sits apart from 完了, in its own box.
    no_show = page.locator('[data-action="no-show"]')
    complete_box = page.locator('[data-action="complete"]').bounding_box()
    no_show_box = no_show.bounding_box()
    assert complete_box is not None
    assert no_show_box is not None
    assert no_show_box["y"] >= complete_box["y"] + complete_box["height"] + 40

    no_show.click()
    ask = page.locator("#transfer-dialog")
    expect(ask).to_be_visible()
    expect(ask).to_contain_text(f"{number}番を不在にしますか")
    expect(page.locator("#no-show-cancel")).to_be_focused()  # the safe choice is the default
    _screenshots(page, "staff-visit-no-show-confirm")
    page.locator("#no-show-cancel").click()
    expect(ask).to_be_hidden()
    expect(page.locator("#current-number")).to_have_text(number)
    assert _ticket(city_hall, number)["status"] == "called"

    no_show.click()
    page.locator("#no-show-confirm").click()
    undo = page.locator("#undo-bar")
    expect(undo).to_be_visible()
    expect(undo).to_contain_text(f"{number}番を不在にしました")
    expect(page.locator("#current-number")).to_have_count(0)
    assert _ticket(city_hall, number)["status"] == "no_show"
    _screenshots(page, "staff-visit-no-show-undo")

    page.locator("#undo-no-show").click()
    expect(undo).to_have_count(0)
    expect(page.locator("#outcome")).to_contain_text("呼び戻し")
    expect(page.locator(f'#waiting-table tr[data-number="{number}"]')).to_be_visible()
    reinstated = _ticket(city_hall, number)
    assert reinstated["status"] == "waiting"
    assert reinstated["stops"][0]["status"] == "waiting"


def test_undo_goes_away_after_a_few_seconds(city_hall: CityHall, page: Page) -> None:
    ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, service="nhi_enroll")
    number = ticket["number"]
    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    choose_counter(page, "10")
    page.locator('[data-action="call-next"]').click()
    expect(page.locator("#current-number")).to_have_text(number)
    page.locator('[data-action="no-show"]').click()
    page.locator("#no-show-confirm").click()
    expect(page.locator("#undo-bar")).to_be_visible()
    expect(page.locator("#undo-bar")).to_have_count(0, timeout=12000)
    assert _ticket(city_hall, number)["status"] == "no_show"


def test_recall_limit_is_shown_and_offers_no_show(city_hall: CityHall, page: Page) -> None:
    ticket = city_hall.api("POST", f"/branches/{BRANCH}/tickets", kiosk=True, service="mynumber_update")
    number = ticket["number"]
    sign_in(page, f"{city_hall.url}/staff", "shokuin")
    choose_counter(page, "9")
    page.locator('[data-action="call-next"]').click()
    expect(page.locator("#current-number")).to_have_text(number)
    recall = page.locator('[data-action="recall"]')
    for times in (1, 2):  # max_recalls: 2 in the demo configuration
        recall.click()
        expect(page.locator("#recall-count")).to_contain_text(f"再呼出 {times}回")
    recall.click()

    limit = page.locator("#recall-limit")
    expect(limit).to_be_visible()
    expect(limit).to_contain_text("再呼出の上限に達しました")
    expect(limit).to_contain_text(f"{number}番は再呼出の上限(2回)に達しました")  # the server's words
    expect(recall).to_be_disabled()
    _screenshots(page, "staff-visit-recall-limit")
    page.locator("#recall-limit-no-show").click()
    expect(page.locator("#transfer-dialog")).to_contain_text(f"{number}番を不在にしますか")
    page.locator("#no-show-confirm").click()
    expect(page.locator("#undo-bar")).to_be_visible()
    assert _ticket(city_hall, number)["status"] == "no_show"
