"""Announcer: one WAV per call, cached, assembled from fragments, safe under concurrency."""

import asyncio
import io
import threading
import wave
from collections.abc import Iterator
from pathlib import Path

import pyopenjtalk
import pytest

from server.announcements import (
    AnnouncementKind,
    Announcer,
    OpenJTalkEngine,
    PhraseError,
    Pyttsx3Engine,
    UnsupportedLanguageError,
)
from tests.server.announcements.conftest import RecordingEngine


def wav_info(data: bytes) -> tuple[int, float]:
    with wave.open(io.BytesIO(data)) as reader:
        assert reader.getnchannels() == 1
        assert reader.getsampwidth() == 2
        frames = reader.getnframes()
        assert frames > 0
        assert any(reader.readframes(frames))
        return reader.getframerate(), frames / reader.getframerate()


@pytest.fixture
def fake_announcer(tmp_path: Path, recording: RecordingEngine) -> Iterator[Announcer]:
    announcer = Announcer(tmp_path, engines={"*": recording}, sample_rate=16_000)
    yield announcer
    announcer.close()


@pytest.fixture
def real_announcer(tmp_path: Path, openjtalk: OpenJTalkEngine, pyttsx3_engine: Pyttsx3Engine) -> Iterator[Announcer]:
    announcer = Announcer(tmp_path, engines={"ja": openjtalk, "*": pyttsx3_engine})
    yield announcer
    announcer.close()


def test_call_is_one_wav_with_chime_japanese_and_english(real_announcer: Announcer) -> None:
    audio = real_announcer.announcement("call", "A012", "3")
    rate, seconds = wav_info(audio.data)
    assert rate == 48_000
    assert 1.0 <= seconds <= 20.0
    assert audio.duration_seconds == pytest.approx(seconds)
    assert list(audio.texts) == ["ja", "en"]
    assert audio.texts["ja"] == "エー十二番の番号札をお持ちのお客様、三番窓口へお越しください。"
    assert audio.texts["en"] == "Ticket number A-12, please go to counter 3."
    assert not audio.from_cache


@pytest.mark.parametrize("use_fragments", [True, False])
def test_the_japanese_text_given_to_the_engine_reads_number_and_counter(tmp_path: Path, use_fragments: bool) -> None:
    cases = {
        ("L305", "4"): ("エルサンビャクゴバン", "ヨンバンマドグチ"),
        ("C1000", "7"): ("シーセンバン", "ナナバンマドグチ"),
        ("D3000", "9"): ("ディーサンゼンバン", "キューバンマドグチ"),
        ("T600", "14"): ("ティーロッピャクバン", "ジューヨンバンマドグチ"),
    }
    for (number, counter), (number_reading, counter_reading) in cases.items():
        japanese = RecordingEngine(japanese=True)
        announcer = Announcer(
            tmp_path / number,  # a fresh cache, so the engine is given every piece
            engines={"ja": japanese, "*": RecordingEngine(japanese=False)},
            use_fragments=use_fragments,
        )
        audio = announcer.announcement("recall", number, counter)
        given = [text for _, text in japanese.texts]
        assert given == list(audio.pieces["ja"])
        spoken = "".join(str(pyopenjtalk.g2p(text, kana=True)) for text in given)
        assert spoken.startswith(number_reading)
        assert counter_reading + "エオコシクダサイ" in spoken
        announcer.close()


def test_cache_hit_returns_the_same_file_without_synthesis(
    fake_announcer: Announcer, recording: RecordingEngine, tmp_path: Path
) -> None:
    first = fake_announcer.announcement("call", "B100", "10")
    calls = recording.total_calls
    assert calls > 0
    second = fake_announcer.announcement("call", "B100", "10")
    assert second.from_cache
    assert second.path == first.path
    assert second.key == first.key
    assert second.data == first.data
    assert recording.total_calls == calls
    # After a restart the disk cache still answers.
    restarted = Announcer(tmp_path, engines={"*": recording}, sample_rate=16_000)
    assert restarted.announcement("call", "B100", "10").path == first.path
    assert recording.total_calls == calls
    restarted.close()


def test_new_calls_reuse_cached_fragments(fake_announcer: Announcer, recording: RecordingEngine) -> None:
    fake_announcer.announcement("call", "A012", "3")
    recording.calls.clear()
    fake_announcer.announcement("call", "A013", "3")
    # Only the new number and the whole English sentence are synthesised.
    assert set(recording.calls) == {
        ("ja", "十三番"),
        ("en", "Ticket number A-13, please go to counter 3."),
    }


def test_kinds_and_texts_give_distinct_keys(fake_announcer: Announcer) -> None:
    keys = {
        fake_announcer.key(kind, number, counter)
        for kind in AnnouncementKind
        for number in ("A012", "A013")
        for counter in ("3", "4")
    }
    assert len(keys) == 12
    assert fake_announcer.key("call", "A012", "3") == fake_announcer.key("call", "a012", "03")


def test_engine_version_is_part_of_the_key(tmp_path: Path) -> None:
    first = Announcer(tmp_path, engines={"*": RecordingEngine(rate=16_000)}, sample_rate=16_000)
    second = Announcer(tmp_path, engines={"*": RecordingEngine(rate=22_050)}, sample_rate=16_000)
    assert first.key("call", "A001", "1") != second.key("call", "A001", "1")
    first.close()
    second.close()


def test_repeat_and_chime_shape_the_audio(tmp_path: Path, recording: RecordingEngine) -> None:
    once = Announcer(tmp_path, engines={"*": recording}, sample_rate=16_000)
    twice = Announcer(tmp_path, engines={"*": recording}, sample_rate=16_000, repeat=2)
    quiet = Announcer(tmp_path, engines={"*": recording}, sample_rate=16_000, chime_enabled=False)
    one = once.announcement("call", "A001", "1").duration_seconds
    two = twice.announcement("call", "A001", "1").duration_seconds
    bare = quiet.announcement("call", "A001", "1").duration_seconds
    assert two > one > bare
    for announcer in (once, twice, quiet):
        announcer.close()


def test_a_call_is_japanese_twice_then_the_tickets_language_once(tmp_path: Path, recording: RecordingEngine) -> None:
    announcer = Announcer(tmp_path, engines={"*": recording}, sample_rate=16_000, repeat=2)
    try:
        assert announcer.sequence(listener="ja") == ("ja", "ja")
        assert announcer.sequence(listener="ja_easy") == ("ja", "ja")
        assert announcer.sequence(listener="en") == ("ja", "ja", "en")
        # No voice for Vietnamese here: English, the second voice language, instead.
        assert announcer.sequence(listener="vi") == ("ja", "ja", "en")
        assert announcer.sequence(brief=True, listener="en") == ("ja",)
        assert announcer.sequence() == ("ja", "en", "ja", "en")  # nobody in particular: everything
        japanese = announcer.announcement("call", "A001", "1", listener="ja")
        english = announcer.announcement("call", "A001", "1", listener="en")
        everything = announcer.announcement("call", "A001", "1")
        assert set(japanese.texts) == {"ja"}
        assert set(english.texts) == {"ja", "en"}
        assert len({japanese.key, english.key, everything.key}) == 3
        assert japanese.duration_seconds < english.duration_seconds < everything.duration_seconds
    finally:
        announcer.close()


def test_concurrent_gets_of_the_same_key_synthesise_once(tmp_path: Path) -> None:
    slow = RecordingEngine(delay_seconds=0.2)
    announcer = Announcer(tmp_path, engines={"*": slow}, sample_rate=16_000, max_workers=8)

    async def many() -> list[str]:
        results = await asyncio.gather(*(announcer.get("call", "X999", "20") for _ in range(12)))
        return [str(result.path) for result in results]

    paths = asyncio.run(many())
    assert len(set(paths)) == 1
    assert all(count == 1 for count in slow.calls.values()), slow.calls
    announcer.close()


def test_concurrent_threads_share_fragments(tmp_path: Path) -> None:
    slow = RecordingEngine(delay_seconds=0.1)
    announcer = Announcer(tmp_path, engines={"*": slow}, sample_rate=16_000)
    barrier = threading.Barrier(6)
    errors: list[BaseException] = []

    def call(counter: str) -> None:
        try:
            barrier.wait()
            announcer.announcement("call", "A050", counter)
        except BaseException as error:  # pragma: no cover - reported below
            errors.append(error)

    threads = [threading.Thread(target=call, args=(str(n % 3 + 1),)) for n in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    # Six calls over three counters share the letter, number and fixed words: each said once.
    assert all(count == 1 for count in slow.calls.values()), slow.calls
    assert slow.calls[("ja", "五十番")] == 1
    announcer.close()


def test_get_rejects_bad_input_before_queueing(fake_announcer: Announcer) -> None:
    with pytest.raises(PhraseError):
        asyncio.run(fake_announcer.get("call", "A012", "戸籍係"))


def test_unvoiceable_language_fails_at_start_up(tmp_path: Path, openjtalk: OpenJTalkEngine) -> None:
    with pytest.raises(UnsupportedLanguageError):
        Announcer(tmp_path, engines={"ja": openjtalk}, voice_languages=["ja", "en"])
    with pytest.raises(UnsupportedLanguageError, match="'tl'"):
        Announcer(tmp_path, engines={"ja": openjtalk, "*": Pyttsx3Engine()}, voice_languages=["ja", "tl"])


def test_city_templates_override_the_defaults(tmp_path: Path, recording: RecordingEngine) -> None:
    announcer = Announcer(
        tmp_path,
        engines={"*": recording},
        templates={"call": {"ja": "{number_ja}番の方、{counter}番へどうぞ。"}},
        sample_rate=16_000,
    )
    audio = announcer.announcement("call", "A001", "2")
    assert audio.texts["ja"] == "エー一番の方、二番へどうぞ。"
    assert audio.pieces["ja"] == ("エー", "一番", "の方、", "二番へどうぞ。")
    with pytest.raises(PhraseError):
        Announcer(tmp_path, engines={"*": recording}, templates={"call": {"ja": "{service}の方"}})
    announcer.close()


def test_prewarm_makes_calls_need_only_english(tmp_path: Path) -> None:
    japanese = RecordingEngine(japanese=True)
    english = RecordingEngine(japanese=False)
    announcer = Announcer(tmp_path, engines={"ja": japanese, "*": english}, sample_rate=16_000)
    created = announcer.prewarm(["A", "L"], 20, ["1", "2", "3"])
    # 2 letters + 20 numbers + per kind: fixed words and 3 counter clauses (shared by kinds).
    assert created == japanese.total_calls
    assert ("ja", "二十番") in japanese.calls
    assert announcer.prewarm(["A", "L"], 20, ["1", "2", "3"]) == 0
    before = japanese.total_calls
    for kind in AnnouncementKind:
        announcer.announcement(kind, "L017", "2")
    assert japanese.total_calls == before
    announcer.close()


def test_warming_one_number_readies_its_calls_at_every_counter_and_nothing_more(tmp_path: Path) -> None:
    japanese = RecordingEngine(japanese=True)
    announcer = Announcer(tmp_path, engines={"ja": japanese, "*": RecordingEngine(japanese=False)}, sample_rate=16_000)
    announcer.warm([("C857", counter) for counter in ("1", "2", "3")])
    assert ("ja", "八百五十七番") in japanese.calls
    assert not any("八百五十六" in text for _, text in japanese.calls)  # not a walk from C001
    before = japanese.total_calls
    for kind in AnnouncementKind:
        for counter in ("1", "2", "3"):
            announcer.announcement(kind, "C857", counter)
    assert japanese.total_calls == before
    announcer.close()


def test_real_prewarm_then_call_from_fragments(real_announcer: Announcer) -> None:
    real_announcer.prewarm(["H"], 3, ["5"], kinds=["call"])
    audio = real_announcer.announcement("call", "H002", "5")
    rate, seconds = wav_info(audio.data)
    assert rate == 48_000
    assert 1.0 <= seconds <= 20.0


def test_disk_cache_stays_within_its_budget(tmp_path: Path, recording: RecordingEngine) -> None:
    announcer = Announcer(tmp_path, engines={"*": recording}, sample_rate=16_000, max_announcement_bytes=400_000)
    first = announcer.announcement("call", "A001", "1")
    for value in range(2, 12):
        announcer.announcement("call", f"A{value:03d}", "1")
    stored = list((tmp_path / "announcements").glob("*.wav"))
    assert sum(path.stat().st_size for path in stored) <= 400_000
    assert len(stored) < 11
    # The oldest went first; asking again simply rebuilds it.
    assert not first.path.exists()
    again = announcer.announcement("call", "A001", "1")
    assert again.path == first.path
    assert not again.from_cache
    assert again.path.exists()
    announcer.close()
