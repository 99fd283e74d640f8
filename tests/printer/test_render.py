from __future__ import annotations

from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageChops

from printer.render import (
    format_issued_at,
    format_wait_range,
    get_paper_profile,
    render_test_slip,
    render_ticket,
)
from tests.printer.conftest import BRANCH_NAME, STATUS_URL, make_ticket


def _render(ticket: dict[str, Any], profile: str = "80") -> Image.Image:
    return render_ticket(ticket, branch_name=BRANCH_NAME, profile=profile)


@pytest.mark.parametrize(("profile", "width"), [("58", 384), ("80", 576), (80, 576)])
def test_ticket_is_one_bit_and_exactly_paper_wide(ticket: dict[str, Any], profile: str, width: int) -> None:
    image = _render(ticket, profile)

    assert image.mode == "1"
    assert image.width == width
    assert image.height > image.width


def test_unknown_profile_says_which_exist() -> None:
    with pytest.raises(ValueError, match="58, 80"):
        get_paper_profile("76")


def test_rendering_is_deterministic(ticket: dict[str, Any]) -> None:
    assert _render(ticket).tobytes() == _render(ticket).tobytes()


@pytest.mark.parametrize("profile", ["58", "80"])
def test_number_is_printed_very_large_near_the_top(profile: str) -> None:
    first = _render(make_ticket(number="A012"), profile)
    second = _render(make_ticket(number="A013"), profile)

    # Only the last digit differs, so the changed pixels are that digit, at full size.
    changed = ImageChops.difference(first.convert("L"), second.convert("L")).getbbox()
    assert changed is not None
    _left, top, _right, bottom = changed
    assert bottom - top >= 0.2 * first.width
    assert top < 0.25 * first.height


@pytest.mark.parametrize("profile", ["58", "80"])
def test_qr_code_holds_the_status_url(ticket: dict[str, Any], profile: str) -> None:
    image = _render(ticket, profile)

    decoded = [barcode.text for barcode in zxingcpp.read_barcodes(image)]
    assert decoded == [STATUS_URL]


def test_qr_code_is_about_45_percent_of_the_width(ticket: dict[str, Any]) -> None:
    image = _render(ticket, "80")

    (barcode,) = zxingcpp.read_barcodes(image)
    xs = [point.x for point in (barcode.position.top_left, barcode.position.top_right)]
    assert 0.35 * image.width <= max(xs) - min(xs) <= 0.6 * image.width


def test_nothing_about_the_person_reaches_the_slip(ticket: dict[str, Any]) -> None:
    # Priority says why someone was helped first (pregnancy, disability …); it stays private.
    revealing = make_ticket(priority="pregnancy", language="vi", status_token="other")

    assert _render(revealing).tobytes() == _render(ticket).tobytes()


def test_stops_change_the_slip(ticket: dict[str, Any]) -> None:
    single = make_ticket(stops=[ticket["stops"][0]])

    assert _render(single).height < _render(ticket).height


def test_skipped_stops_are_not_listed(ticket: dict[str, Any]) -> None:
    skipped = {"service": 9, "label": "児童手当", "status": "skipped", "counter": "3番窓口"}
    with_skipped = make_ticket(stops=[*ticket["stops"], skipped])

    assert _render(with_skipped).tobytes() == _render(ticket).tobytes()


def test_missing_estimates_still_render() -> None:
    image = _render(make_ticket(position=None, estimated_wait_minutes=None, stops=[]))

    assert image.width == 576


@pytest.mark.parametrize(
    ("issued_at", "expected"),
    [
        ("2026-04-01T09:05:00+09:00", "2026年4月1日 9:05"),
        ("2026-04-01T00:05:00+00:00", "2026年4月1日 9:05"),
        ("2026-03-31T15:30:00Z", "2026年4月1日 0:30"),
        ("2026-12-24T17:00:00", "2026年12月24日 17:00"),
    ],
)
def test_issue_time_is_local_japanese_style(issued_at: str, expected: str) -> None:
    assert format_issued_at(issued_at) == expected


@pytest.mark.parametrize(
    ("minutes", "expected"),
    [
        (None, None),
        (0, ("まもなく", "soon")),
        (3, ("約5分以内", "within about 5 min")),
        (10, ("約5〜15分", "about 5–15 min")),
        (15, ("約10〜20分", "about 10–20 min")),
        (60, ("約40〜80分", "about 40–80 min")),
    ],
)
def test_wait_is_shown_as_a_range(minutes: float | None, expected: tuple[str, str] | None) -> None:
    assert format_wait_range(minutes) == expected


@pytest.mark.parametrize(("profile", "width"), [("58", 384), ("80", 576)])
def test_test_slip_fits_and_has_a_readable_qr(profile: str, width: int) -> None:
    slip = render_test_slip(profile=profile)

    assert (slip.mode, slip.width) == ("1", width)
    assert len(zxingcpp.read_barcodes(slip)) == 1
