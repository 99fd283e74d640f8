"""The kiosk's voice guide: kiosk token only, clear refusals, real offline speech, cached by content."""

import io
import os
import signal
import wave

import pytest
from fastapi.testclient import TestClient

from server.voice_guide.schemas import MAX_SPEECH_CHARACTERS
from server.voice_guide.speech import spoken_text

API = "/api/v1"


def _wav_seconds(data: bytes) -> float:
    assert data[:4] == b"RIFF"
    assert data[8:12] == b"WAVE"
    with wave.open(io.BytesIO(data)) as audio:
        return audio.getnframes() / audio.getframerate()


def _speak(client: TestClient, headers: dict[str, str], lang: str, text: str) -> tuple[int, dict[str, str], bytes]:
    response = client.post(f"{API}/kiosk/speech", json={"lang": lang, "text": text}, headers=headers)
    return response.status_code, dict(response.headers), response.content


def test_only_a_kiosk_may_ask(
    client: TestClient, kiosk: dict[str, str], display_token: str, auth: dict[str, dict[str, str]]
) -> None:
    body = {"lang": "en", "text": "Hello"}
    missing = client.post(f"{API}/kiosk/speech", json=body)
    wrong = client.post(f"{API}/kiosk/speech", json=body, headers={"Authorization": "Bearer not-a-token"})
    staff = client.post(f"{API}/kiosk/speech", json=body, headers=auth["shokuin"])
    display = client.post(f"{API}/kiosk/speech", json=body, headers={"Authorization": f"Bearer {display_token}"})

    assert (missing.status_code, missing.json()["code"]) == (401, "missing_token")
    assert (wrong.status_code, wrong.json()["code"]) == (401, "invalid_token")
    assert staff.status_code == 401
    assert (display.status_code, display.json()["code"]) == (403, "wrong_device")
    assert client.get(f"{API}/kiosk/speech").status_code == 401


def test_refusals_say_what_is_wrong(client: TestClient, kiosk: dict[str, str]) -> None:
    cases = {
        "unknown_language": ("fr", "Bonjour"),
        "text_too_long": ("en", "a" * (MAX_SPEECH_CHARACTERS + 1)),
        "empty_text": ("ja", "  \n "),
        "no_voice": ("tl", "Kunin ang tiket"),
    }
    for code, (lang, text) in cases.items():
        response = client.post(f"{API}/kiosk/speech", json={"lang": lang, "text": text}, headers=kiosk)
        assert response.status_code == 422, (code, response.text)
        assert response.json()["code"] == code
        assert isinstance(response.json()["detail"], str)
        assert response.json()["detail"]
    too_long = client.post(
        f"{API}/kiosk/speech", json={"lang": "en", "text": "a" * (MAX_SPEECH_CHARACTERS + 1)}, headers=kiosk
    ).json()["detail"]
    assert str(MAX_SPEECH_CHARACTERS) in too_long
    assert (
        "ja, ja_easy, en"
        in client.post(f"{API}/kiosk/speech", json={"lang": "fr", "text": "x"}, headers=kiosk).json()["detail"]
    )


def test_the_languages_with_a_voice(client: TestClient, kiosk: dict[str, str]) -> None:
    response = client.get(f"{API}/kiosk/speech", headers=kiosk)

    assert response.status_code == 200, response.text
    languages = response.json()["languages"]
    assert response.json()["max_characters"] == MAX_SPEECH_CHARACTERS
    assert set(languages) == {"ja", "ja_easy", "en", "zh", "zh_hant", "ko", "vi", "pt", "tl", "id", "ne"}
    assert languages["tl"] is False  # espeak-ng has no Tagalog voice
    assert all(languages[lang] for lang in ("ja", "ja_easy", "en", "zh", "zh_hant", "ko", "vi", "pt", "id", "ne"))


@pytest.mark.parametrize(
    ("lang", "text"),
    [
        ("ja", "回答をご確認ください。あなたの番号は {#A012} です。"),
        ("en", "Please check your answers. Your number is {#A012}."),
        ("vi", "Vui lòng kiểm tra câu trả lời của bạn."),
        ("ne", "कृपया आफ्ना उत्तर जाँच्नुहोस्।"),
    ],
)
def test_a_screen_is_spoken_and_kept(client: TestClient, kiosk: dict[str, str], lang: str, text: str) -> None:
    status, headers, first = _speak(client, kiosk, lang, text)
    assert status == 200, first[:300]
    assert headers["content-type"] == "audio/wav"
    assert headers["madoguchi-speech-cache"] == "miss"
    assert _wav_seconds(first) > 1.0

    status, headers, again = _speak(client, kiosk, lang, text)
    assert status == 200
    assert headers["madoguchi-speech-cache"] == "hit"
    assert again == first


def test_easy_japanese_is_spoken_from_its_reading(client: TestClient, kiosk: dict[str, str]) -> None:
    status, headers, ruby = _speak(client, kiosk, "ja_easy", "{番号札|ばんごうふだ}を とって ください")
    assert status == 200
    assert headers["madoguchi-speech-cache"] == "miss"
    assert _wav_seconds(ruby) > 0.8
    # The same words written in kana alone are the same speech: the reading was what was said.
    status, headers, kana = _speak(client, kiosk, "ja_easy", "ばんごうふだを とって ください")
    assert (status, headers["madoguchi-speech-cache"]) == (200, "hit")
    assert kana == ruby


def test_what_the_engine_is_given() -> None:
    assert spoken_text("{引越|ひっこ}し  の\n{手続|てつづ}き", "ja_easy") == "ひっこし の てつづき"
    assert spoken_text("{引越|ひっこ}し", "ja") == "引越し"
    assert spoken_text("あなたの番号は {#A012} です", "ja") == "あなたの番号は エー十二 です"
    assert spoken_text("Your number is {#A012}.", "en") == "Your number is A-12."
    assert spoken_text("{#??}", "en") == "{#??}"


def test_a_speech_process_that_died_is_replaced_after_at_most_one_503(
    client: TestClient, kiosk: dict[str, str]
) -> None:
    assert client.post(f"{API}/kiosk/speech", json={"lang": "en", "text": "One"}, headers=kiosk).status_code == 200
    pool = client.app.state.announcements._guide._current()  # type: ignore[attr-defined]
    for process in list(pool._processes.values()):
        os.kill(process.pid, signal.SIGKILL)

    answers = [
        client.post(f"{API}/kiosk/speech", json={"lang": "en", "text": word}, headers=kiosk)
        for word in ("Two", "Three")
    ]
    # The request that meets the dead process may fail (never a 500), the next is spoken by a new one.
    assert [answer.status_code for answer in answers] in ([200, 200], [503, 200])
    assert all(answer.json()["code"] == "speech_unavailable" for answer in answers if answer.status_code == 503)
