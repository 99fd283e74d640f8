"""How long a call's English takes: espeak-ng (via pyttsx3) against Festival's HTS voice.

    .venv/bin/python -m bench.english_voice [--quick] [--calls N]

No server: this is the work a speech process does for one call (server/realtime/announcing.py,
`speak_call`). For each engine: the first synthesis of a call's English sentence (nothing cached,
a new number and counter each time), then the whole call a board asks for when the ticket's
language is English (chime, Japanese twice as in the demo, English once), with the number's
Japanese fragments already warmed at issue as the server does, one call at a time and two at
once (the server runs two speech processes on two cores). The English sentence is cached per
(number, counter) and engine, so this is the cost of the first call only; a recall is a lookup.
"""

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

from bench.harness import machine_info, machine_markdown, markdown_table, write_results
from server.announcements import AnnouncementKind, Announcer
from server.announcements.audio import read_wav, trim_silence
from server.announcements.engines import (
    FestivalEngine,
    OpenJTalkEngine,
    Pyttsx3Engine,
    SpeechEngine,
    default_engines,
)
from server.announcements.phrases import DEFAULT_TEMPLATES, render

TARGET_SECONDS = 1.0  # a call's WAV ready within about a second, first English call included
COUNTERS = ("1", "3", "7", "10", "12", "2B")


def calls(count: int, offset: int) -> list[tuple[str, str]]:
    """Distinct (number, counter) pairs: every call is new to the caches."""
    return [(f"{'ABCE'[i % 4]}{offset + i:03d}", COUNTERS[i % len(COUNTERS)]) for i in range(count)]


def summary(seconds: Sequence[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return {
        "median": round(statistics.median(ordered), 3),
        "p95": round(p95, 3),
        "max": round(ordered[-1], 3),
    }


def first_sentences(engine: SpeechEngine, pairs: list[tuple[str, str]]) -> dict[str, Any]:
    times, spoken = [], []
    for number, counter in pairs:
        text = render(DEFAULT_TEMPLATES[AnnouncementKind.CALL]["en"], "en", number=number, counter=counter).text
        started = time.perf_counter()
        data = engine.synthesize(text, "en")
        times.append(time.perf_counter() - started)
        spoken.append(trim_silence(read_wav(data)).duration_seconds)
    return {"synthesis_seconds": summary(times), "speech_seconds": summary(spoken)}


def whole_calls(engines: dict[str, SpeechEngine], pairs: list[tuple[str, str]], *, at_once: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="bench-english-") as directory:
        announcer = Announcer(Path(directory), engines=engines, repeat=2)
        try:
            announcer.warm(pairs, kinds=(AnnouncementKind.CALL,))  # done at issue, before the call

            def one(pair: tuple[str, str]) -> float:
                started = time.perf_counter()
                audio = announcer.announcement("call", *pair, listener="en")
                assert not audio.from_cache
                assert audio.duration_seconds > 5
                return time.perf_counter() - started

            with ThreadPoolExecutor(max_workers=at_once) as pool:
                times = list(pool.map(one, pairs))
        finally:
            announcer.close()
    return summary(times)


def timed(make: Callable[[], object]) -> float:
    started = time.perf_counter()
    make()
    return round(time.perf_counter() - started, 3)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="write to bench/results/quick/")
    parser.add_argument("--calls", type=int, default=20, help="calls per measurement")
    options = parser.parse_args(argv)
    count = 4 if options.quick else options.calls

    openjtalk = OpenJTalkEngine()
    openjtalk.synthesize("三番窓口へお越しください。", "ja")  # load the voice once, as a speech process has
    espeak = Pyttsx3Engine()
    festival = FestivalEngine()
    espeak.synthesize("Ready.", "en")
    probe_seconds = timed(lambda: default_engines(english="auto"))  # once per speech process
    festival.synthesize("Ready.", "en")
    # The first sentence of a speech process that had no call yet: Festival started just now.
    fresh = FestivalEngine()
    fresh.start()
    process_start_seconds = timed(lambda: fresh.synthesize("Ticket number A-99, please go to counter 5.", "en"))
    fresh.close()
    # Without the kept process (a fresh `festival -b` per sentence): what keeping it saves.
    one_shot = first_sentences(FestivalEngine(keep_running=False), calls(count, 500))["synthesis_seconds"]
    engines: dict[str, dict[str, SpeechEngine]] = {
        "espeak-ng": {"ja": openjtalk, "*": espeak},
        "festival": {"ja": openjtalk, "en": festival, "*": espeak},
    }
    results: dict[str, Any] = {}
    for index, (name, table) in enumerate(engines.items()):
        english = table.get("en", espeak)
        results[name] = {
            "version": english.version,
            "first_sentence": first_sentences(english, calls(count, 100 + 200 * index)),
            "call_ready_seconds": whole_calls(table, calls(count, 140 + 200 * index), at_once=1),
            "call_ready_two_at_once_seconds": whole_calls(table, calls(count, 180 + 200 * index), at_once=2),
        }

    festival_ready = max(
        results["festival"]["call_ready_seconds"]["p95"], results["festival"]["call_ready_two_at_once_seconds"]["p95"]
    )
    met = festival_ready <= TARGET_SECONDS
    machine = machine_info()
    first_f = results["festival"]["first_sentence"]["synthesis_seconds"]
    first_e = results["espeak-ng"]["first_sentence"]["synthesis_seconds"]
    data = {
        "calls_per_measurement": count,
        "target_seconds": TARGET_SECONDS,
        "festival_voice_probe_seconds": probe_seconds,
        "festival_first_sentence_of_a_new_process_seconds": process_start_seconds,
        "festival_one_process_per_sentence_seconds": one_shot,
        "engines": results,
        "machine": machine,
        "table": {
            "english_voice": {
                "result": (
                    f"first English sentence median/p95: espeak-ng {first_e['median']}/{first_e['p95']} s, "
                    f"festival {first_f['median']}/{first_f['p95']} s; whole English-ticket call ready p95 "
                    f"with festival {results['festival']['call_ready_seconds']['p95']} s "
                    f"(two at once {results['festival']['call_ready_two_at_once_seconds']['p95']} s)"
                ),
                "met": met,
            }
        },
    }
    rows = []
    for name, row in results.items():
        rows.append(
            (
                name,
                "{median} / {p95} / {max}".format(**row["first_sentence"]["synthesis_seconds"]),
                "{median} / {p95}".format(**row["first_sentence"]["speech_seconds"]),
                "{median} / {p95} / {max}".format(**row["call_ready_seconds"]),
                "{median} / {p95} / {max}".format(**row["call_ready_two_at_once_seconds"]),
            )
        )
    markdown = (
        "# English voice: time to the first English call\n\n"
        + markdown_table(
            (
                "English engine",
                "first sentence synthesis s (median / p95 / max)",
                "sentence spoken s (median / p95)",
                "whole call ready s, one at a time (median / p95 / max)",
                "whole call ready s, two at once",
            ),
            rows,
        )
        + f'\n\n{count} new calls per column ("Ticket number A-100, please go to counter 1." …), nothing '
        "cached but the number's Japanese fragments (warmed at issue, as the server does). Whole call: "
        "chime, Japanese twice, English once, 48 kHz WAV, as a speech process makes it for an "
        "English-language ticket; two at once share one Festival process here (the server's two speech "
        "processes have one each), so that column is an upper bound. "
        f"Festival's voice probe at speech-process start: {probe_seconds} s, once; "
        f"the first sentence right after Festival started: {process_start_seconds} s. Festival is kept "
        "running per speech process; a fresh `festival -b` per sentence would take "
        f"{one_shot['median']} / {one_shot['p95']} / {one_shot['max']} s. "
        f"Target: a call ready within {TARGET_SECONDS:g} s with Festival: {'met' if met else 'not met'}.\n\n"
        + "\n".join(f"- {name}: `{row['version']}`" for name, row in results.items())
        + "\n\n"
        + machine_markdown(machine)
    )
    json_path, _ = write_results("english_voice", data, markdown, quick=options.quick)
    print(markdown)
    print(f"wrote {json_path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
