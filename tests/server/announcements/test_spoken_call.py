"""What a call event makes the lobby say: its kind, number and window, nothing else."""

from server.announcements.phrases import AnnouncementKind
from server.realtime.announcing import spoken_call

COUNTER = {"id": 7, "name": "7", "public": True}


def call(**extra: object) -> dict[str, object]:
    return {"type": "ticket.called", "branch": "honcho", "ticket": {"number": "L012"}, "counter": COUNTER, **extra}


def test_a_hand_over_after_the_back_office_says_the_documents_are_ready() -> None:
    spoken = spoken_call(call(call="ready_for_pickup"))
    assert spoken is not None
    assert (spoken.kind, spoken.number, spoken.counter) == (AnnouncementKind.READY_FOR_PICKUP, "L012", "7")


def test_a_plain_call_and_a_recall_keep_their_own_wording() -> None:
    assert spoken_call(call()).kind == AnnouncementKind.CALL  # type: ignore[union-attr]
    assert spoken_call(call(type="ticket.recalled")).kind == AnnouncementKind.RECALL  # type: ignore[union-attr]


def test_back_office_work_taken_at_a_window_is_never_announced() -> None:
    assert spoken_call(call(type="ticket.taken")) is None
    assert spoken_call(call(type="ticket.serving")) is None
