from __future__ import annotations

from typing import Any

import pytest
import zxingcpp
from PIL import Image, ImageChops

from printer.render import (
    BACK_OFFICE_WHAT_JA,
    RouteLine,
    _wrap,
    find_japanese_font,
    format_issued_at,
    format_wait_range,
    get_paper_profile,
    render_test_slip,
    render_ticket,
    route_lines,
    slip_length_mm,
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


def test_qr_code_is_at_least_16_mm_across(ticket: dict[str, Any]) -> None:
    image = _render(ticket, "80")

    (barcode,) = zxingcpp.read_barcodes(image)
    xs = [point.x for point in (barcode.position.top_left, barcode.position.top_right)]
    assert max(xs) - min(xs) >= 16 * 8  # 8 dots per mm at 203 dpi


def test_nothing_about_the_person_reaches_the_slip(ticket: dict[str, Any]) -> None:
    # Priority says why someone was helped first (pregnancy, disability …); it stays private.
    revealing = make_ticket(priority="pregnancy", status_token="other")

    assert _render(revealing).tobytes() == _render(ticket).tobytes()
    vietnamese = make_ticket(language="vi")
    assert _render(make_ticket(language="vi", priority="pregnancy")).tobytes() == _render(vietnamese).tobytes()


def test_route_is_printed_from_visits(ticket: dict[str, Any]) -> None:
    assert route_lines(ticket) == [
        RouteLine("1〜5番窓口", "転入届"),
        RouteLine("書類の準備", BACK_OFFICE_WHAT_JA, back_office=True),
        RouteLine("10・11番窓口", "国民健康保険の加入"),
    ]
    single = make_ticket(visits=[ticket["visits"][0]])
    assert _render(single).height < _render(ticket).height


def test_procedures_at_one_window_share_one_line() -> None:
    visit = {
        "kind": "counter",
        "counters": "1–5",
        "labels": ["転入届", "印鑑登録"],
        "labels_en": ["Moving-in notification", "Seal registration"],
        "status": "current",
        "stops": [0, 1],
    }
    stops = [
        {"service": "moving_in", "label": "届出", "status": "waiting", "counter": "1–5", "citizen_present": True},
        {
            "service": "seal_registration",
            "label": "届出",
            "status": "pending",
            "counter": "1–5",
            "citizen_present": True,
        },
    ]

    assert route_lines(make_ticket(stops=stops, visits=[visit])) == [RouteLine("1〜5番窓口", "転入届・印鑑登録")]


def test_visits_of_skipped_stops_are_not_listed(ticket: dict[str, Any]) -> None:
    skipped = {
        "service": "child_allowance",
        "label": "子育て",
        "status": "skipped",
        "counter": "12・14",
        "citizen_present": True,
    }
    visit = {
        "kind": "counter",
        "counters": "12・14",
        "labels": ["児童手当"],
        "labels_en": ["Child allowance"],
        "status": "done",
        "stops": [3],
    }
    with_skipped = make_ticket(stops=[*ticket["stops"], skipped], visits=[*ticket["visits"], visit])

    assert _render(with_skipped).tobytes() == _render(ticket).tobytes()


def test_a_server_without_visits_still_gets_one_line_per_window() -> None:
    stops = [
        {"service": "a", "label": "届出", "status": "waiting", "counter": "1–5", "citizen_present": True},
        {"service": "b", "label": "届出", "status": "pending", "counter": "1–5", "citizen_present": True},
        {"service": "c", "label": "届出", "status": "pending", "counter": None, "citizen_present": False},
        {"service": "d", "label": "届出", "status": "pending", "counter": None, "citizen_present": False},
        {"service": "e", "label": "子育て", "status": "skipped", "counter": "12", "citizen_present": True},
    ]
    ticket = make_ticket(stops=stops)
    del ticket["visits"]

    assert route_lines(ticket) == [
        RouteLine("1〜5番窓口", "届出"),
        RouteLine("書類の準備", BACK_OFFICE_WHAT_JA, back_office=True),
    ]


def test_a_long_label_wraps_under_its_window_never_starting_a_line_with_a_dot() -> None:
    visit = {
        "kind": "counter",
        "counters": "20–22",
        "labels": ["原付・小型特殊自動車の登録・廃車", "児童手当(認定請求・変更・消滅)"],
        "labels_en": ["Moped", "Child allowance"],
        "status": "current",
        "stops": [0],
    }
    stop = {"service": "moped", "label": "税", "status": "waiting", "counter": "20–22", "citizen_present": True}
    image = _render(make_ticket(stops=[stop], visits=[visit]), "58")

    assert image.width == 384
    for width in (200, 260, 300, 340):
        for line in _wrap("原付・小型特殊自動車の登録・廃車・児童手当(認定請求・変更・消滅)", _font(), width):
            assert not line.startswith(("・", ")", "、"))
            assert not line.endswith("(")


def test_easy_japanese_wraps_between_its_words() -> None:
    """やさしい日本語 is written a word at a time (分かち書き); the slip broke it wherever a line filled
    (「まって くださ / い」). A word wider than a whole line still breaks inside itself."""
    text = "1〜5ばん まどぐちで まって ください: 子(こ)どもが 生(う)まれた 届(とど)け"
    words = text.split(" ")
    for width in (160, 200, 260, 300):
        lines = _wrap(text, _font(), width, by_word=True)
        assert " ".join(lines) == text
        assert all(word in words for line in lines for word in line.split(" ")), (width, lines)
    assert _wrap("まって ください", _font(), 140) == ["まって くださ", "い"]  # by character
    assert _wrap("まって ください", _font(), 140, by_word=True) == ["まって", "ください"]
    assert _wrap("くださいくださいください", _font(), 140, by_word=True) == ["くださいくだ", "さいください"]
    # A word of listed items, wider than a line, breaks after a ・, and never inside 「赤(あか)」.
    listed = "お金(かね)の 助成(じょせい)・妊娠(にんしん)・赤(あか)ちゃんの 健康(けんこう)の"
    for width in (200, 260, 300):
        lines = _wrap(listed, _font(), width, by_word=True)
        assert all(line.endswith(("の", "・")) for line in lines), (width, lines)


def _font() -> Any:
    return find_japanese_font().sized(22)


def test_missing_estimates_still_render() -> None:
    image = _render(make_ticket(position=None, estimated_wait_minutes=None, stops=[], visits=[]))

    assert image.width == 576


def test_slip_length_in_mm_at_203_dpi() -> None:
    assert slip_length_mm(Image.new("1", (576, 1200)), "80") == 150.0


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
