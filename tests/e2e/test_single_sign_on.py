"""Single sign-on in Debian's chromium: a real server process and a real OpenID Connect provider
on loopback (oidc-provider-mock). A contractor signs in with the organization's account and gets
the contractor's limits; an unmapped person sees a page saying whom to ask; sign-out ends the
session at the provider too; with local sign-in off the consoles offer no password form.
Screenshots go to tests/output/."""

import shutil
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from server.config import PROJECT_ROOT
from tests.e2e.support import run_cli
from tests.realtime.live_server import LiveServer, live_server, server_environment

playwright_sync = pytest.importorskip("playwright.sync_api")
oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
Browser = playwright_sync.Browser
Page = playwright_sync.Page
expect = playwright_sync.expect

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
]

OUTPUT = PROJECT_ROOT / "tests" / "output"
PASSWORD = "correct-horse-42"
USERS = [
    oidc_provider_mock.User(sub="u-itaku", claims={"roles": ["委託"], "preferred_username": "sato.itaku"}),
    oidc_provider_mock.User(sub="u-nobody", claims={"roles": ["総務課"], "preferred_username": "nobody"}),
]
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture(scope="module")
def provider() -> Iterator[str]:
    with oidc_provider_mock.run_server_in_thread(user_claims=USERS) as server:
        yield f"http://localhost:{server.server_port}"


def _environment(directory: Path, provider: str, *, local_login: bool) -> dict[str, str]:
    return server_environment(
        f"sqlite:///{directory / 'madoguchi.db'}",
        oidc_issuer=provider,
        oidc_client_id="madoguchi",
        oidc_client_secret="provider-secret-for-tests",
        oidc_role_map="窓口職員=municipal,委託=contractor",
        local_login="true" if local_login else "false",
    )


@pytest.fixture(scope="module")
def hall_directory(tmp_path_factory: pytest.TempPathFactory, provider: str) -> Path:
    """One database for both servers below; nobody here signs in with a password."""
    directory = tmp_path_factory.mktemp("sso")
    run_cli(_environment(directory, provider, local_login=True), "init")
    return directory


@pytest.fixture(scope="module")
def city_hall(hall_directory: Path, provider: str) -> Iterator[LiveServer]:
    with live_server(_environment(hall_directory, provider, local_login=True), hall_directory, name="sso") as server:
        yield server


def _page(browser: Browser, viewport: dict[str, int]) -> tuple[Page, list[str]]:
    context = browser.new_context(viewport=viewport, locale="ja-JP")  # type: ignore[arg-type]
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    return page, errors


def _choose_at_provider(page: Page, provider: str, sub: str) -> None:
    page.wait_for_url(f"{provider}/oauth2/authorize*")
    page.locator(f"button[name=sub][value={sub}]").click()


def test_a_contractor_signs_in_with_the_organizations_account(
    browser: Browser, city_hall: LiveServer, provider: str
) -> None:
    page, errors = _page(browser, PHONE)
    page.goto(f"{city_hall.base_url}/staff")
    button = page.locator("#signin-sso")
    expect(button).to_contain_text("組織のアカウントでサインイン")
    expect(page.locator("#signin-password")).to_be_visible()  # break-glass local accounts stay
    OUTPUT.mkdir(exist_ok=True)
    page.screenshot(path=str(OUTPUT / "sso-signin-phone.png"), full_page=True)
    button.click()
    _choose_at_provider(page, provider, "u-itaku")
    page.wait_for_url(f"{city_hall.base_url}/staff")
    expect(page.locator("#who")).to_contain_text("sato.itaku（受託者 / Contractor）")
    expect(page.locator("#who")).to_contain_text("本庁舎")
    assert "signin" not in page.url  # the token left the address bar at once
    expect(page.get_by_text("読み込み中")).to_have_count(0, timeout=15_000)
    page.screenshot(path=str(OUTPUT / "sso-staff-phone.png"), full_page=True)
    token = page.evaluate("sessionStorage.getItem('madoguchi.token')")
    bearer = {"Authorization": f"Bearer {token}"}
    # The contractor's limits: no admin console, no reports, no staff-only desk.
    assert httpx.get(f"{city_hall.base_url}/api/v1/admin/branches/honcho/devices", headers=bearer).status_code == 403
    page.goto(f"{city_hall.base_url}/admin")
    expect(page.get_by_text("管理者アカウントが必要です")).to_be_visible()
    # Sign-out ends the session here and sends the browser to the provider's end of session.
    page.locator("#signout").click()
    page.wait_for_url(f"{provider}/oauth2/end_session*")
    assert httpx.get(f"{city_hall.base_url}/api/v1/auth/me", headers=bearer).status_code == 401
    assert errors == [], errors
    page.context.close()


def test_an_unmapped_person_sees_whom_to_ask(browser: Browser, city_hall: LiveServer, provider: str) -> None:
    page, errors = _page(browser, DESKTOP)
    page.goto(f"{city_hall.base_url}/concierge")
    page.locator("#signin-sso").click()
    _choose_at_provider(page, provider, "u-nobody")
    heading = page.get_by_role("heading", level=1)
    expect(heading).to_contain_text("窓口システムを使う権限がありません")
    expect(page.get_by_text("アカウント管理者（情報システム担当）", exact=False)).to_be_visible()
    page.screenshot(path=str(OUTPUT / "sso-no-role-desktop.png"), full_page=True)
    page.get_by_role("link", name="サインイン画面に戻る").click()
    page.wait_for_url(f"{city_hall.base_url}/concierge")
    expect(page.locator("#signin-sso")).to_be_visible()
    assert errors == [], errors
    page.context.close()


def test_with_local_sign_in_off_the_consoles_offer_only_the_organizations_account(
    browser: Browser, hall_directory: Path, provider: str
) -> None:
    environment = _environment(hall_directory, provider, local_login=False)
    with live_server(environment, hall_directory, name="sso-only") as server:
        page, errors = _page(browser, PHONE)
        page.goto(f"{server.base_url}/admin")
        expect(page.locator("#signin-sso")).to_be_visible()
        expect(page.locator("#signin-password")).to_have_count(0)
        page.screenshot(path=str(OUTPUT / "sso-only-phone.png"), full_page=True)
        refused = httpx.post(f"{server.base_url}/api/v1/auth/login", json={"username": "admin", "password": PASSWORD})
        assert (refused.status_code, refused.json()["code"]) == (403, "local_login_off")
        off_site = httpx.get(f"{server.base_url}/api/v1/auth/oidc/login", params={"next": "//evil.example/"})
        assert off_site.status_code == 400
        assert errors == [], errors
        page.context.close()
