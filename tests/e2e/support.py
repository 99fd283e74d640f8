"""What every browser test shares: how Debian's chromium is started, the command line, and a
staffed demo city hall on a real server process."""

import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from server.config import PROJECT_ROOT
from tests.realtime.live_server import LiveServer, live_server, server_environment

PASSWORD = "correct-horse-42"
BRANCH = "honcho"

# Headless Debian chromium as root, with nothing that reaches for the internet at start-up.
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


# An element's text as drawn, line by line, furigana left out (a space that ends a line stays at
# its end).
LINES = """(element) => {
  let text = "";
  const starts = [];  // where each drawn line begins in the text
  let top = null;
  const walker = document.createTreeWalker(element, NodeFilter.SHOW_TEXT, {
    acceptNode: (node) => (node.parentElement.closest("rt") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
  });
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let index = 0; index < node.length; index += 1) {
      const range = document.createRange();
      range.setStart(node, index);
      range.setEnd(node, index + 1);
      const box = range.getBoundingClientRect();
      if (box.width === 0 || !node.data[index].trim()) continue;
      if (top === null || box.top > top + 4) starts.push(text.length + index);
      top = box.top;
    }
    text += node.data;
  }
  return starts.map((start, line) => text.slice(start, starts[line + 1] ?? text.length));
}"""


def wrapped_texts(elements: Iterable[Any]) -> tuple[list[list[str]], list[list[str]]]:
    """Of these elements (Playwright locators): the lines of each that wraps, and of each that
    leaves one character alone on a line (「…申 / 請」)."""
    drawn = [[line.strip() for line in element.evaluate(LINES)] for element in elements]
    wrapped = [lines for lines in drawn if len(lines) > 1]
    return wrapped, [lines for lines in wrapped if any(len(line) < 2 for line in lines)]


def broken_inside_words(elements: Iterable[Any]) -> tuple[list[list[str]], list[list[str]]]:
    """Of these elements (text written a word at a time: やさしい日本語's 分かち書き): the lines of
    each that wraps, and of each with a line that ends inside a word although a space came
    earlier on it (「ほかの {市|し}から {引|ひ}っ{越|こ} / して」). A line may end after punctuation
    (「…{届|とど}け・」); a word wider than its whole line breaks inside itself."""
    drawn = [element.evaluate(LINES) for element in elements]
    wrapped = [lines for lines in drawn if len(lines) > 1]
    inside = [
        lines for lines in wrapped if any(line[-1] not in " ・、。)" and " " in line.strip() for line in lines[:-1])
    ]
    return wrapped, inside


def choose_kiosk_language(page: Any, language: str) -> None:
    """Touch a language on the kiosk and wait until its screen is drawn in it: the buttons change
    at once, the screen's words when the menu in that language has come (a tile touched before
    then opened its question in the language before)."""
    from playwright.sync_api import expect  # only browser tests call this

    button = page.locator(f"#languages button[data-language='{language}']")
    button.click()
    expect(button).to_have_attribute("aria-pressed", "true")
    expect(page.locator("#main")).not_to_have_attribute("aria-busy", "true")


def run_cli(environment: dict[str, str], *args: str) -> str:
    """`madoguchi ARGS` against the test server's settings; its output (a token, say), stripped."""
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", *args],
        cwd=PROJECT_ROOT,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout.strip()


@dataclass(frozen=True)
class HallWithBoard:
    server: LiveServer
    database: Path  # the SQLite file, for tests that read the log behind the server's back
    display_token: str
    kiosk_token: str
    staff_token: str  # shokuin, a municipal staff member, signed in


@contextmanager
def hall_with_board(folder: Path, name: str, config_path: Path | None = None) -> Iterator[HallWithBoard]:
    """The demo city hall (or the one `config_path` describes) on SQLite in `folder`, served by a
    real process, with a lobby board, a kiosk and a signed-in member of the municipal staff."""
    database = folder / "madoguchi.db"
    config = {} if config_path is None else {"config_path": str(config_path)}
    environment = server_environment(f"sqlite:///{database}", audio_cache_dir=str(folder / "audio"), **config)
    run_cli(environment, "init", *(["--config", str(config_path)] if config_path is not None else []))
    run_cli(environment, "staff", "add", "shokuin", "--role", "municipal", "--password", PASSWORD, "--branch", BRANCH)
    display_token = run_cli(environment, "device", "add", "lobby-board", "--kind", "display")
    kiosk_token = run_cli(environment, "device", "add", "kiosk-1", "--kind", "kiosk")
    with live_server(environment, folder, name=name) as server:
        login = httpx.post(
            f"{server.base_url}/api/v1/auth/login", json={"username": "shokuin", "password": PASSWORD}, timeout=10
        )
        yield HallWithBoard(server, database, display_token, kiosk_token, login.json()["access_token"])
