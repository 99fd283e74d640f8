"""What a board needs to show its words in every kiosk language: the branch's name and each
public label in each language that translates it (label_ja / label_en kept as they were)."""

from typing import Any

from fastapi.testclient import TestClient

from server.catalog.translations import CITIZEN_LANGUAGES
from server.realtime.service import local_names
from tests.realtime.helpers import board_url, connected, receive_until
from tests.server.api import issue

Headers = dict[str, str]


def test_the_snapshot_and_the_waiting_summary_name_the_branch_and_labels_in_every_language(
    client: TestClient, kiosk: Headers, display_token: str
) -> None:
    with connected(client, board_url(display_token)) as board:
        snapshot = board.receive_json()
        issue(client, kiosk, service="certificate")
        summary = receive_until(board, lambda message: message["type"] == "waiting")

    branch = snapshot["branch"]
    assert (branch["name_ja"], branch["name_en"]) == ("サンプル市役所 本庁舎", branch["names"]["en"])
    assert set(branch["names"]) == set(CITIZEN_LANGUAGES)
    assert branch["names"]["ja_easy"] == "サンプル{市役所|しやくしょ} {本庁舎|ほんちょうしゃ}"
    for rows in (snapshot["waiting"], summary["waiting"]):
        labels: dict[str, dict[str, Any]] = {row["label_ja"]: row for row in rows}
        certificates = labels["証明書"]
        assert certificates["label_en"] == certificates["names"]["en"] == "Certificates"
        assert certificates["names"]["vi"] == "Giấy chứng nhận"
        assert certificates["names"]["ja"] == "証明書"
        # The demo translates every label into every language; the neutral label too.
        assert all(set(row["names"]) == set(CITIZEN_LANGUAGES) for row in rows)
        assert labels["届出"]["names"]["ja_easy"] == "{届|とど}け"
    assert {row["label_ja"]: row["waiting"] for row in summary["waiting"]}["証明書"] == 1


def test_a_language_without_the_word_is_left_out_for_the_board_to_mark() -> None:
    translations = {"vi": {"queues": {"C": {"label": "Giấy chứng nhận"}}}, "ko": {"queues": {}}}
    names = local_names(translations, ("queues", "C", "label"), ja="証明書", en="Certificates")
    assert names == {"ja": "証明書", "en": "Certificates", "vi": "Giấy chứng nhận"}
