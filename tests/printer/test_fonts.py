from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import pytest

from printer import fonts
from printer.agent import print_ticket
from printer.render import FontMissingError, find_japanese_font, render_ticket
from printer.simulator import PrinterSimulator
from tests.printer.conftest import BRANCH_NAME

NOTO_CJK = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
LATIN_ONLY = Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf")


@pytest.fixture
def no_font_anywhere(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fonts.FONT_ENV_VAR, raising=False)
    monkeypatch.setattr(fonts, "DEBIAN_REGULAR_PATHS", ())
    monkeypatch.setattr(fonts, "DEBIAN_BOLD_PATHS", ())
    monkeypatch.setattr(shutil, "which", lambda _: None)


def test_debian_noto_cjk_is_found_with_its_japanese_face(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(fonts.FONT_ENV_VAR, raising=False)

    face = find_japanese_font()

    assert face.name.startswith("Noto Sans CJK JP")


def test_environment_variable_picks_the_japanese_face_of_a_collection(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(fonts.FONT_ENV_VAR, str(NOTO_CJK))

    face = find_japanese_font()

    assert (face.path, face.index) == (NOTO_CJK, 0)
    assert "JP" in face.name


def test_a_missing_configured_font_is_an_error_not_a_fallback(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv(fonts.FONT_ENV_VAR, str(tmp_path / "no-such-font.ttc"))

    with pytest.raises(FontMissingError, match="apt install fonts-noto-cjk") as raised:
        find_japanese_font()
    assert "MADOGUCHI_FONT" in str(raised.value)


@pytest.mark.skipif(not LATIN_ONLY.exists(), reason="DejaVu is not installed")
def test_a_font_without_kanji_is_refused_rather_than_printing_tofu(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(fonts.FONT_ENV_VAR, str(LATIN_ONLY))

    with pytest.raises(FontMissingError):
        find_japanese_font()


@pytest.mark.usefixtures("no_font_anywhere")
def test_no_font_on_the_system_names_the_package_to_install(ticket: dict[str, Any]) -> None:
    with pytest.raises(FontMissingError, match="fonts-noto-cjk"):
        render_ticket(ticket, branch_name=BRANCH_NAME)


@pytest.mark.usefixtures("no_font_anywhere")
def test_printing_without_a_font_fails_softly_and_sends_nothing(
    simulator: PrinterSimulator, ticket: dict[str, Any]
) -> None:
    result = print_ticket(simulator.url, ticket, BRANCH_NAME, "58")

    assert (result.ok, result.error) == (False, "font_missing")
    assert result.detail is not None
    assert "fonts-noto-cjk" in result.detail
    assert simulator.jobs == []
