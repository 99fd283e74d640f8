"""Mono 16-bit PCM: WAV in and out, resampling, silence trimming, the chime, concatenation.

Stdlib only, with numpy as an accelerator when present (`audioop` is gone in Python 3.13, so
resampling is done here by linear interpolation). Linear interpolation is adequate for speech
going up in rate (espeak-ng's 22.05 kHz into a 48 kHz announcement); going down it aliases a
little, which is why the announcement rate defaults to the highest engine rate.
"""

from __future__ import annotations

import io
import math
import sys
import wave
from array import array
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any


@cache
def _numpy() -> Any:
    """numpy, or None: it only makes these faster (every operation also has a pure-Python path).

    Imported on first use, in the speech processes that do this work: the server process
    rarely does, and numpy costs it some 17 MB of resident memory."""
    try:
        import numpy
    except ImportError:  # pragma: no cover - numpy is installed with pyopenjtalk
        return None
    return numpy


SAMPLE_WIDTH_BYTES = 2
INT16_MAX = 32767


class AudioError(ValueError):
    """Audio data that cannot be read or combined."""


@dataclass(frozen=True)
class Pcm:
    """Mono signed 16-bit samples at `rate` Hz."""

    samples: array[int]  # typecode "h"
    rate: int

    @property
    def duration_seconds(self) -> float:
        return len(self.samples) / self.rate

    def __len__(self) -> int:
        return len(self.samples)


def _little_endian(samples: array[int]) -> array[int]:
    if sys.byteorder == "big":  # pragma: no cover - WAV is little-endian
        samples = array("h", samples)
        samples.byteswap()
    return samples


def read_wav(data: bytes) -> Pcm:
    """Decode a PCM WAV (8/16-bit, any channel count) to mono 16-bit.

    Tolerates the placeholder sizes that `espeak-ng --stdout` writes when streaming.
    """
    try:
        with wave.open(io.BytesIO(data), "rb") as reader:
            channels = reader.getnchannels()
            width = reader.getsampwidth()
            rate = reader.getframerate()
            frames = reader.readframes(reader.getnframes())
    except (wave.Error, EOFError) as error:
        raise AudioError(f"not a PCM WAV: {error}") from error
    if width == 2:
        frames = frames[: len(frames) - len(frames) % 2]
        samples = _little_endian(array("h", frames))
    elif width == 1:  # unsigned 8-bit
        samples = array("h", ((byte - 128) << 8 for byte in frames))
    else:
        raise AudioError(f"unsupported sample width: {width * 8} bits")
    if channels > 1:
        samples = _downmix(samples, channels)
    return Pcm(samples=samples, rate=rate)


def _downmix(samples: array[int], channels: int) -> array[int]:
    frames = len(samples) // channels
    np = _numpy()
    if np is not None:
        data = np.frombuffer(samples, dtype=np.int16)[: frames * channels]
        mono = data.reshape(frames, channels).mean(axis=1)
        return array("h", mono.astype(np.int16).tobytes())
    return array(
        "h",
        (int(sum(samples[i * channels : (i + 1) * channels]) / channels) for i in range(frames)),
    )


def write_wav(pcm: Pcm) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as writer:
        writer.setnchannels(1)
        writer.setsampwidth(SAMPLE_WIDTH_BYTES)
        writer.setframerate(pcm.rate)
        writer.writeframes(_little_endian(pcm.samples).tobytes())
    return buffer.getvalue()


def from_float(values: Iterable[float], rate: int, *, gain: float = 1.0) -> Pcm:
    """Float samples already on the int16 scale (as pyopenjtalk returns them) → clipped int16."""
    np = _numpy()
    if np is not None:
        scaled = np.clip(np.asarray(values, dtype=np.float64) * gain, -INT16_MAX, INT16_MAX)
        return Pcm(samples=array("h", np.rint(scaled).astype(np.int16).tobytes()), rate=rate)
    return Pcm(
        samples=array("h", (_clip(round(value * gain)) for value in values)),
        rate=rate,
    )


def _clip(value: int) -> int:
    return max(-INT16_MAX, min(INT16_MAX, value))


def silence(seconds: float, rate: int) -> Pcm:
    return Pcm(samples=array("h", bytes(2 * round(seconds * rate))), rate=rate)


def resample(pcm: Pcm, rate: int) -> Pcm:
    """Linear-interpolation resampling (see the module docstring for why that is enough)."""
    if pcm.rate == rate or len(pcm) == 0:
        return Pcm(samples=pcm.samples, rate=rate)
    count = max(1, round(len(pcm) * rate / pcm.rate))
    step = pcm.rate / rate
    np = _numpy()
    if np is not None:
        source = np.frombuffer(pcm.samples, dtype=np.int16).astype(np.float64)
        positions = np.arange(count, dtype=np.float64) * step
        values = np.interp(positions, np.arange(len(source), dtype=np.float64), source)
        return Pcm(samples=array("h", np.rint(values).astype(np.int16).tobytes()), rate=rate)
    samples = pcm.samples
    last = len(samples) - 1
    out = array("h", bytes(2 * count))
    for i in range(count):
        position = i * step
        left = min(int(position), last)
        right = min(left + 1, last)
        fraction = position - left
        out[i] = round(samples[left] + (samples[right] - samples[left]) * fraction)
    return Pcm(samples=out, rate=rate)


def trim_silence(pcm: Pcm, *, threshold: int = 120, window_seconds: float = 0.005, keep_seconds: float = 0.02) -> Pcm:
    """Cut leading and trailing silence, keeping `keep_seconds` so consonant onsets survive.

    Engines pad each utterance with ~0.3 s of near-silence; fragments spliced with that padding
    sound halting, so padding is removed here and the gaps are chosen by the assembler.
    """
    window = max(1, round(window_seconds * pcm.rate))
    count = len(pcm) // window
    if count == 0:
        return pcm
    np = _numpy()
    if np is not None:
        data = np.frombuffer(pcm.samples, dtype=np.int16)[: count * window].astype(np.float64)
        rms = np.sqrt((data.reshape(count, window) ** 2).mean(axis=1))
        loud = np.nonzero(rms > threshold)[0]
        if len(loud) == 0:
            return Pcm(samples=array("h"), rate=pcm.rate)
        first, last = int(loud[0]), int(loud[-1])
    else:
        loud_windows = [
            i
            for i in range(count)
            if math.sqrt(sum(s * s for s in pcm.samples[i * window : (i + 1) * window]) / window) > threshold
        ]
        if not loud_windows:
            return Pcm(samples=array("h"), rate=pcm.rate)
        first, last = loud_windows[0], loud_windows[-1]
    keep = round(keep_seconds * pcm.rate)
    start = max(0, first * window - keep)
    end = min(len(pcm), (last + 1) * window + keep)
    return Pcm(samples=pcm.samples[start:end], rate=pcm.rate)


def concatenate(parts: Sequence[Pcm], rate: int) -> Pcm:
    """Join clips, resampling any whose rate differs from `rate`."""
    out = array("h")
    for part in parts:
        out.extend(resample(part, rate).samples if part.rate != rate else part.samples)
    return Pcm(samples=out, rate=rate)


def chime(
    rate: int,
    *,
    tones_hz: Sequence[float] = (880.0, 698.46),
    tone_seconds: float = 0.65,
    volume: float = 0.35,
) -> Pcm:
    """Two-tone ピンポン: a high bell tone then a lower one (A5 → F5), each decaying.

    A soft attack avoids a click; the second harmonic and exponential decay make it bell-like
    rather than a bare beep, and the volume sits below speech so the call stays the loudest part.
    """
    attack = round(0.008 * rate)
    length = round(tone_seconds * rate)
    out = array("h")
    for frequency in tones_hz:
        for i in range(length):
            t = i / rate
            envelope = math.exp(-4.0 * t) * min(1.0, i / attack if attack else 1.0)
            value = math.sin(2 * math.pi * frequency * t) + 0.25 * math.sin(4 * math.pi * frequency * t)
            out.append(_clip(round(value / 1.25 * envelope * volume * INT16_MAX)))
    return Pcm(samples=out, rate=rate)
