"""Spoken calls end to end: a public call's event links to a WAV of chime, Japanese and English."""

import io
import os
import signal
import wave
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import Engine
from sqlmodel import Session

from server.announcements import Announcer
from server.config import Settings
from server.main import create_app
from server.models import Role
from server.realtime.announcing import branch_voice
from tests.conftest import login
from tests.realtime.helpers import board_url, connected, receive_until, wait_until
from tests.server.api import act, counter_ids, issue
from tests.support import BRANCH, FixedClock, make_staff

Headers = dict[str, str]


def call_at(client: TestClient, staff: Headers, counter: str) -> None:
    ids = counter_ids(client)
    act(client, staff, ids[counter], "open")
    act(client, staff, ids[counter], "call-next")


def test_a_public_call_links_to_its_announcement_in_japanese_and_english(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers], display_token: str, engine: Engine, settings: Settings
) -> None:
    # An English ticket: Japanese twice, then English once.
    ticket = issue(client, kiosk, service="certificate", language="en")
    with connected(client, board_url(display_token)) as board:
        board.receive_json()
        call_at(client, auth["shokuin"], "7")
        called = receive_until(board, lambda message: message["type"] == "ticket.called")

    response = client.get(called["audio_url"])
    assert response.status_code == 200
    assert response.headers["content-type"] == "audio/wav"
    with wave.open(io.BytesIO(response.content)) as audio:
        assert (audio.getnchannels(), audio.getsampwidth()) == (1, 2)
        assert audio.getnframes() / audio.getframerate() > 5  # chime + Japanese twice + English

    # The served file is exactly the announcer's call for this number at counter 7, for an English
    # speaker: nothing in the display's message said so (the language stays on the server).
    assert "language" not in called["ticket"]
    with Session(engine) as session:
        voice = branch_voice(session, BRANCH)
    announcer = Announcer(settings.audio_cache_dir, templates=voice.templates, repeat=voice.repeat)
    try:
        expected = announcer.announcement("call", ticket["number"], "7", listener="en")
        assert announcer.sequence(listener="en") == ("ja", "ja", "en")
        assert expected.from_cache
        assert expected.data == response.content
        assert set(expected.texts) == {"ja", "en"}
        assert "しー一番" in expected.texts["ja"]
        assert "七番窓口" in expected.texts["ja"]
        assert "C-1" in expected.texts["en"]
        assert "counter 7" in expected.texts["en"]
    finally:
        announcer.close()


def test_a_recall_is_announced_with_the_recall_wording(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers], display_token: str
) -> None:
    issue(client, kiosk, service="certificate")
    call_at(client, auth["shokuin"], "7")
    with connected(client, board_url(display_token)) as board:
        board.receive_json()
        act(client, auth["shokuin"], counter_ids(client)["7"], "recall")
        recalled = receive_until(board, lambda message: message["type"] == "ticket.recalled")
    assert recalled["audio_url"].endswith(f"/{recalled['id']}.wav")
    assert client.get(recalled["audio_url"]).status_code == 200


def test_events_that_are_not_public_calls_have_no_audio(client: TestClient, kiosk: Headers, display_token: str) -> None:
    with connected(client, board_url(display_token)) as board:
        board.receive_json()
        issue(client, kiosk, service="certificate")
        issued = receive_until(board, lambda message: message["type"] == "ticket.issued")
    assert "audio_url" not in issued
    response = client.get(f"/api/v1/announcements/{issued['id']}.wav")
    assert response.status_code == 404
    assert response.json()["code"] == "announcement_not_found"
    assert client.get("/api/v1/announcements/999999.wav").status_code == 404


def test_with_a_board_connected_the_audio_is_made_before_anyone_asks(
    database_url: str, engine: Engine, clock: FixedClock, display_token: str, kiosk: Headers, tmp_path: Path
) -> None:
    settings = Settings(database_url=database_url, audio_cache_dir=tmp_path / "audio", announcement_prefetch=True)
    with TestClient(create_app(settings, engine=engine, clock=clock)) as client:
        make_staff(engine, "prefetcher", Role.municipal, clock())
        staff = login(client, "prefetcher")
        with connected(client, board_url(display_token)) as board:
            board.receive_json()
            issue(client, kiosk, service="certificate")
            call_at(client, staff, "7")
            receive_until(board, lambda message: message["type"] == "ticket.called")
            finished = settings.audio_cache_dir / "announcements"
            wait_until(lambda: any(finished.glob("*.wav")), timeout=60)


def test_a_speech_process_that_died_is_replaced_and_the_next_call_is_announced(
    client: TestClient, kiosk: Headers, auth: dict[str, Headers], display_token: str
) -> None:
    issue(client, kiosk, service="certificate")
    issue(client, kiosk, service="certificate")
    staff = auth["shokuin"]
    with connected(client, board_url(display_token)) as board:
        board.receive_json()
        call_at(client, staff, "7")
        first = receive_until(board, lambda message: message["type"] == "ticket.called")
        assert client.get(first["audio_url"]).status_code == 200
        # A synthesiser crashing takes its process down (SIGKILL stands in for a segfault).
        pool = client.app.state.announcements._calls._current()  # type: ignore[attr-defined]
        for process in list(pool._processes.values()):
            os.kill(process.pid, signal.SIGKILL)
        act(client, staff, counter_ids(client)["7"], "complete")
        act(client, staff, counter_ids(client)["7"], "call-next")
        second = receive_until(board, lambda message: message["type"] == "ticket.called")

    # The call that met the dead processes may go unsaid; the lobby is not silent from then on.
    answers = [client.get(second["audio_url"]).status_code for _ in range(2)]
    assert answers in ([200, 200], [503, 200]), answers
