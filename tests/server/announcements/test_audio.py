"""WAV handling, resampling (numpy and pure Python), trimming and the chime."""

import io
import math
import wave
from array import array

import pytest

from server.announcements import audio
from server.announcements.audio import Pcm, chime, concatenate, read_wav, resample, silence, trim_silence, write_wav


def tone(frequency: float, seconds: float, rate: int, amplitude: int = 10_000) -> Pcm:
    count = round(seconds * rate)
    return Pcm(
        samples=array("h", (round(amplitude * math.sin(2 * math.pi * frequency * i / rate)) for i in range(count))),
        rate=rate,
    )


@pytest.fixture(params=["numpy", "pure-python"])
def backend(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    if request.param == "pure-python":
        monkeypatch.setattr(audio, "_numpy", lambda: None)
    return str(request.param)


def test_wav_round_trip() -> None:
    pcm = tone(440, 0.1, 22_050)
    data = write_wav(pcm)
    with wave.open(io.BytesIO(data)) as reader:
        assert (reader.getnchannels(), reader.getsampwidth(), reader.getframerate()) == (1, 2, 22_050)
        assert reader.getnframes() == len(pcm)
    assert read_wav(data) == pcm


def test_stereo_and_8_bit_are_read_as_mono_16_bit() -> None:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(2)
        writer.setsampwidth(1)
        writer.setframerate(8000)
        writer.writeframes(bytes([128, 128, 255, 255, 0, 0]))
    pcm = read_wav(buffer.getvalue())
    assert pcm.rate == 8000
    assert list(pcm.samples) == [0, 127 << 8, -128 << 8]


def test_not_a_wav_is_an_audio_error() -> None:
    with pytest.raises(audio.AudioError):
        read_wav(b"not a wav file at all")


def test_resampling_keeps_duration_and_pitch(backend: str) -> None:
    source = tone(440, 0.5, 22_050)
    result = resample(source, 48_000)
    assert result.rate == 48_000
    assert abs(result.duration_seconds - 0.5) < 0.001
    # Zero crossings per second ≈ 2 × frequency: the pitch survives.
    crossings = sum(1 for a, b in zip(result.samples, result.samples[1:], strict=False) if (a < 0) != (b < 0))
    assert abs(crossings / result.duration_seconds - 880) < 10


def test_both_backends_resample_alike(monkeypatch: pytest.MonkeyPatch) -> None:
    source = tone(300, 0.05, 16_000)
    fast = resample(source, 48_000)
    monkeypatch.setattr(audio, "_numpy", lambda: None)
    slow = resample(source, 48_000)
    assert len(fast) == len(slow)
    assert max(abs(a - b) for a, b in zip(fast.samples, slow.samples, strict=True)) <= 1


def test_trim_removes_padding_but_keeps_the_sound(backend: str) -> None:
    rate = 16_000
    padded = concatenate([silence(0.3, rate), tone(500, 0.2, rate), silence(0.3, rate)], rate)
    trimmed = trim_silence(padded)
    assert 0.2 <= trimmed.duration_seconds <= 0.26
    assert len(trim_silence(silence(0.5, rate))) == 0


def test_concatenate_resamples_mismatched_parts() -> None:
    joined = concatenate([tone(440, 0.25, 22_050), silence(0.25, 48_000), tone(440, 0.25, 16_000)], 48_000)
    assert joined.rate == 48_000
    assert abs(joined.duration_seconds - 0.75) < 0.002


def test_chime_is_two_tones_at_the_voice_rate(backend: str) -> None:
    pcm = chime(24_000)
    assert pcm.rate == 24_000
    assert 1.0 <= pcm.duration_seconds <= 2.0
    half = len(pcm) // 2
    peak = max(abs(s) for s in pcm.samples)
    assert 0 < peak < 32_767
    # Each tone starts soft (no click) and decays.
    assert abs(pcm.samples[0]) < 100
    assert abs(pcm.samples[half]) < 100
    assert max(abs(s) for s in pcm.samples[half - 500 : half]) < peak / 3
