"""The wheel built from this repository installs into a clean virtualenv and serves the demo city
hall from an empty directory, with its data outside site-packages and without bench/ or tests/."""

import os
import socket
import subprocess
import sys
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from server.config import PROJECT_ROOT
from tests.support import PG_URL

pytestmark = [
    pytest.mark.slow,
    # Packaging does not depend on the database: the SQLite run covers it once.
    pytest.mark.skipif(bool(PG_URL), reason="packaging is tested in the SQLite run"),
]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _run(command: list[str], *, cwd: Path, env: dict[str, str], timeout: float = 120) -> str:
    completed = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout, check=False)
    assert completed.returncode == 0, f"{command} failed:\n{completed.stdout}\n{completed.stderr}"
    return completed.stdout


def test_the_wheel_installs_and_serves_the_demo_from_an_empty_directory(tmp_path: Path) -> None:
    wheels = tmp_path / "wheels"
    _run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(wheels), str(PROJECT_ROOT)],
        cwd=tmp_path,
        env=dict(os.environ),
    )
    (wheel,) = wheels.glob("madoguchi-*.whl")
    top_level = {name.split("/", 1)[0] for name in zipfile.ZipFile(wheel).namelist()}
    assert "bench" not in top_level
    assert "tests" not in top_level
    assert {"server", "kiosk", "printer", "display", "config", "deploy"} <= top_level
    # A kiosk PC installs the wheel without the server extra: no database drivers.
    name, version = wheel.name.split("-")[:2]
    metadata = zipfile.ZipFile(wheel).read(f"{name}-{version}.dist-info/METADATA").decode()
    base = [line for line in metadata.splitlines() if line.startswith("Requires-Dist:") and "extra ==" not in line]
    assert not any(name in line for line in base for name in ("psycopg", "sqlalchemy", "sqlmodel", "alembic"))

    environment = tmp_path / "venv"
    venv.create(environment, with_pip=True)
    python = environment / "bin" / "python"
    home = tmp_path / "home"
    empty = tmp_path / "empty"
    empty.mkdir()
    # A user's environment, nothing of this checkout: no PYTHONPATH, no MADOGUCHI_* settings.
    env = {key: value for key, value in os.environ.items() if not key.startswith(("MADOGUCHI_", "PYTHON"))}
    env.update(HOME=str(home), PATH=f"{environment / 'bin'}:{env.get('PATH', '')}")
    _run([str(python), "-m", "pip", "install", "-q", f"{wheel}[server]"], cwd=empty, env=env, timeout=180)

    bench = subprocess.run([str(python), "-c", "import bench"], cwd=empty, env=env, capture_output=True, text=True)
    assert bench.returncode != 0
    assert "No module named 'bench'" in bench.stderr

    output = _run([str(environment / "bin" / "madoguchi"), "init"], cwd=empty, env=env)
    assert "honcho" in output
    units = _run([str(environment / "bin" / "madoguchi"), "deploy", "units", "--host", "hall"], cwd=empty, env=env)
    assert f"ExecStart={environment / 'bin'}/madoguchi serve" in units
    data_dir = home / ".local" / "share" / "madoguchi"
    assert (data_dir / "madoguchi.db").is_file(), "the database belongs in the user's data directory"
    assert list(empty.iterdir()) == []

    port = _free_port()
    server = subprocess.Popen(
        [str(environment / "bin" / "madoguchi"), "serve", "--port", str(port)],
        cwd=empty,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                health = httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=2)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.communicate()[0]
                assert time.monotonic() < deadline, "the installed server did not answer in 30 s"
                time.sleep(0.3)
        assert health.status_code == 200
        assert health.json() == {"status": "ok"}
        assert "swagger-ui-bundle.js" in httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5).text
        landing = httpx.get(f"http://127.0.0.1:{port}/", timeout=5)
        assert landing.status_code == 200
        assert 'href="/staff"' in landing.text
    finally:
        server.terminate()
        server.wait(15)
