"""What every browser test shares: how Debian's chromium is started, and the command line."""

import subprocess
import sys

from server.config import PROJECT_ROOT

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
