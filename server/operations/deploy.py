"""`madoguchi deploy units`: the service units and PC start-up files for one machine, filled in
from the templates in deploy/ so nobody edits copies by hand.

Roles: the server (its unit, nightly backup and daily retention timers), a kiosk PC (the kiosk
agent's unit and Chromium in kiosk mode on the touch screen at login), a lobby-board PC (Chromium
in kiosk mode on the board page), the public edge.
"""

import sys
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from string import Template

from server.config import PROJECT_ROOT

TEMPLATES = PROJECT_ROOT / "deploy"
SCREEN_SCRIPT = "/usr/local/bin/madoguchi-screen"


class Role(StrEnum):
    server = "server"
    kiosk_pc = "kiosk-pc"
    board_pc = "board-pc"
    edge = "edge"


@dataclass(frozen=True)
class Machine:
    host: str
    role: Role = Role.server
    server_url: str | None = None  # how kiosks and boards reach the server; default http://HOST:PORT
    branch: str = "honcho"
    listen: str = "0.0.0.0"  # the server answers the city hall's LAN
    port: int = 8000
    workers: int = 1
    postgresql: bool = False
    printer: str = "usb://0x0416:0x5011"
    kiosk_port: int = 8001
    bin: Path = Path(sys.executable).parent  # the installation that renders the units runs them
    backup_dir: str = "/var/backups/madoguchi"
    backup_at: str = "19:30"  # after closing time
    keep_days: int = 30
    public_url: str = "https://example.invalid"


class DeployRefused(ValueError):
    pass


def render_units(machine: Machine) -> dict[str, str]:
    """File name → contents for this machine's role."""
    if machine.workers > 1 and not machine.postgresql:
        raise DeployRefused(
            "SQLite は 1 プロセスで動かします。複数ワーカーには --postgresql を指定してください。"
            " Several workers need PostgreSQL (--postgresql); SQLite runs in one process."
        )
    server_url = machine.server_url or f"http://{machine.host}:{machine.port}"
    values = {
        "host": machine.host,
        "bin": str(machine.bin),
        "listen": machine.listen,
        "port": str(machine.port),
        "workers": str(machine.workers),
        "after_database": " postgresql.service" if machine.postgresql else "",
        "server_url": server_url,
        "branch": machine.branch,
        "printer": machine.printer,
        "kiosk_port": str(machine.kiosk_port),
        "backup_dir": machine.backup_dir,
        "backup_at": machine.backup_at,
        "keep_days": str(machine.keep_days),
        "public_url": machine.public_url,
        "script": SCREEN_SCRIPT,
    }
    if machine.role == Role.server:
        names = [
            "systemd/madoguchi-server.service",
            "systemd/madoguchi-backup.service",
            "systemd/madoguchi-backup.timer",
            "systemd/madoguchi-retention.service",
            "systemd/madoguchi-retention.timer",
        ]
    elif machine.role == Role.edge:
        names = ["systemd/madoguchi-edge.service"]
    else:
        names = ["kiosk-pc/madoguchi-screen.sh", "kiosk-pc/madoguchi-screen.desktop"]
        if machine.role == Role.kiosk_pc:
            names.insert(0, "systemd/madoguchi-kiosk.service")
            kiosk_url = f"http://127.0.0.1:{machine.kiosk_port}/"
            values |= {"title": "kiosk touch screen", "url": kiosk_url, "wait_url": kiosk_url, "needs_token": ""}
        else:
            board_url = f"{server_url}/display/{machine.branch}"
            values |= {
                "title": "lobby board",
                "url": board_url,
                "wait_url": f"{server_url}/healthz",
                "needs_token": "1",
            }
    return {
        Path(name).name: Template((TEMPLATES / name).read_text(encoding="utf-8")).substitute(values) for name in names
    }


def write_units(files: dict[str, str], folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, text in files.items():
        path = folder / name
        path.write_text(text, encoding="utf-8")
        if name.endswith(".sh"):
            path.chmod(0o755)
        written.append(path)
    return written


INSTALL_NOTES = {
    Role.server: "sudo cp *.service *.timer /etc/systemd/system/ && sudo systemctl daemon-reload && "
    "sudo systemctl enable --now madoguchi-server madoguchi-backup.timer madoguchi-retention.timer",
    Role.kiosk_pc: "sudo cp madoguchi-kiosk.service /etc/systemd/system/"
    f" && sudo cp madoguchi-screen.sh {SCREEN_SCRIPT} && cp madoguchi-screen.desktop ~/.config/autostart/"
    " && sudo systemctl enable --now madoguchi-kiosk",
    Role.board_pc: f"sudo cp madoguchi-screen.sh {SCREEN_SCRIPT} && cp madoguchi-screen.desktop ~/.config/autostart/"
    " && install -m 600 /dev/stdin ~/.config/madoguchi/display-token  (paste the board's token)",
    Role.edge: "sudo cp madoguchi-edge.service /etc/systemd/system/ && sudo systemctl enable --now madoguchi-edge",
}
