"""A ticket issued at an appointment's check-in carries 【予約】 on its slip, in every language."""

import pytest

from printer.render import render_ticket
from tests.printer.conftest import make_ticket


@pytest.mark.parametrize("language", ["ja", "en", "ne"])
def test_an_appointment_slip_has_one_more_line_than_a_walk_in_slip(language: str) -> None:
    walk_in = make_ticket()
    walk_in["language"] = language
    booked = {**walk_in, "appointment": True}
    plain = render_ticket(walk_in, branch_name="サンプル市役所 本庁舎")
    marked = render_ticket(booked, branch_name="サンプル市役所 本庁舎")
    assert marked.width == plain.width
    assert marked.height > plain.height
    # Everything above the mark is the same slip.
    top = (0, 0, plain.width, plain.height // 4)
    assert marked.crop(top).tobytes() == plain.crop(top).tobytes()
