"""`madoguchi deploy units` renders each machine's files, and systemd itself accepts the units:
`systemd-analyze verify` with no warning (it also checks that every ExecStart binary exists)."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from server.operations.deploy import DeployRefused, Machine, render_units

pytestmark = pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs Debian's systemd package")


def _cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "server.cli", "deploy", "units", *args],
        capture_output=True,
        text=True,
        check=False,
        env=dict(os.environ),
    )


def _verify(folder: Path) -> None:
    units = sorted(str(path) for path in folder.iterdir() if path.suffix in (".service", ".timer"))
    assert units
    done = subprocess.run(
        ["systemd-analyze", "verify", "--man=no", *units], capture_output=True, text=True, check=False, cwd=folder
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.strip() == "", f"systemd warns about the units:\n{done.stderr}"


@pytest.mark.parametrize(
    ("role", "extra", "expected"),
    [
        ("server", [], {"madoguchi-server.service", "madoguchi-backup.timer", "madoguchi-retention.timer"}),
        ("server", ["--postgresql", "--workers", "4"], {"madoguchi-server.service"}),
        ("kiosk-pc", ["--server-url", "http://10.1.2.3:8000"], {"madoguchi-kiosk.service", "madoguchi-screen.sh"}),
        ("edge", ["--public-url", "https://madoguchi.city.example"], {"madoguchi-edge.service"}),
    ],
)
def test_the_units_pass_systemd_analyze_verify(role: str, extra: list[str], expected: set[str], tmp_path: Path) -> None:
    done = _cli("--host", "hall-server", "--role", role, "--output", str(tmp_path), *extra)
    assert done.returncode == 0, done.stderr
    assert expected <= {path.name for path in tmp_path.iterdir()}
    assert "Install on hall-server" in done.stdout
    _verify(tmp_path)


def test_the_server_unit_is_hardened_and_runs_this_installation(tmp_path: Path) -> None:
    server = render_units(Machine(host="hall-server", postgresql=True, workers=4))["madoguchi-server.service"]
    assert f"ExecStart={Path(sys.executable).parent}/madoguchi serve --host 0.0.0.0 --port 8000 --workers 4" in server
    for option in (
        "NoNewPrivileges=yes",
        "ProtectSystem=strict",
        "ProtectHome=yes",
        "PrivateTmp=yes",
        "CapabilityBoundingSet=",
    ):
        assert option in server
    assert "After=network-online.target postgresql.service" in server
    assert "Environment=MADOGUCHI_DATA_DIR=/var/lib/madoguchi" in server
    with pytest.raises(DeployRefused, match="PostgreSQL"):
        render_units(Machine(host="hall-server", workers=4))  # SQLite runs in one process


@pytest.mark.parametrize("role", ["kiosk-pc", "board-pc"])
def test_the_screen_starts_chromium_in_kiosk_mode_at_login(role: str, tmp_path: Path) -> None:
    done = _cli("--host", "lobby-pc", "--role", role, "--server-url", "http://10.1.2.3:8000", "--output", str(tmp_path))
    assert done.returncode == 0, done.stderr
    script = tmp_path / "madoguchi-screen.sh"
    assert os.access(script, os.X_OK)
    assert subprocess.run(["sh", "-n", str(script)], check=False).returncode == 0  # valid shell
    text = script.read_text()
    for flag in ("--kiosk", "--autoplay-policy=no-user-gesture-required", "--noerrdialogs", "xset -dpms", "xset s off"):
        assert flag in text
    assert "while true" in text  # a crashed browser is started again
    desktop = (tmp_path / "madoguchi-screen.desktop").read_text()
    assert "Exec=/usr/local/bin/madoguchi-screen" in desktop
    if role == "board-pc":
        assert 'URL="http://10.1.2.3:8000/display/honcho"' in text
        assert "display-token" in text  # the token is read from a private file, never written here
    else:
        assert 'URL="http://127.0.0.1:8001/"' in text
