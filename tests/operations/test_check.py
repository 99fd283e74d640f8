"""`madoguchi check` says plainly what is wrong: an unreachable database, a pending migration,
no Japanese font for the slips; and passes on a ready installation."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine

from server.config import DEFAULT_CONFIG_PATH
from server.database_setup import alembic_config
from server.db import create_db_engine
from server.operations.check import Check, run_checks


def _by_name(checks: list[Check]) -> dict[str, Check]:
    return {check.name: check for check in checks}


def test_a_ready_installation_passes_every_check(engine: Engine) -> None:
    checks = _by_name(run_checks(engine, config_path=DEFAULT_CONFIG_PATH))
    assert all(check.ok for check in checks.values()), checks
    assert {"configuration", "database", "migrations", "time zone", "font", "speech (ja)"} <= set(checks)
    assert "honcho Asia/Tokyo" in checks["time zone"].detail
    if engine.dialect.name == "postgresql":  # pg_dump can back this server up
        assert "for a PostgreSQL" in checks["backup tool"].detail


def test_an_unreachable_database_is_named() -> None:
    unreachable = create_db_engine("postgresql://madoguchi@127.0.0.1:1/nowhere", connect_args={"connect_timeout": 2})
    checks = _by_name(run_checks(unreachable, config_path=DEFAULT_CONFIG_PATH))
    assert not checks["database"].ok
    assert "cannot reach" in checks["database"].detail
    assert "migrations" not in checks  # nothing more to say about a database that does not answer


def test_a_database_without_the_schema_asks_for_init(tmp_path: Path) -> None:
    empty = create_db_engine(f"sqlite:///{tmp_path / 'empty.db'}")
    checks = _by_name(run_checks(empty, config_path=DEFAULT_CONFIG_PATH))
    assert checks["database"].ok
    assert not checks["migrations"].ok
    assert "madoguchi init" in checks["migrations"].detail


def test_a_missing_japanese_font_fails_the_check(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MADOGUCHI_FONT", "/nonexistent/font.ttc")
    checks = _by_name(run_checks(engine, config_path=DEFAULT_CONFIG_PATH))
    assert not checks["font"].ok
    assert "fonts-noto-cjk" in checks["font"].detail


def test_a_broken_configuration_fails_the_check(engine: Engine, tmp_path: Path) -> None:
    broken = tmp_path / "city.yaml"
    broken.write_text(DEFAULT_CONFIG_PATH.read_text(encoding="utf-8").replace("- { prefix: D,", "- { prefix: C,", 1))
    checks = _by_name(run_checks(engine, config_path=broken))
    assert not checks["configuration"].ok
    assert "duplicate prefix 'C'" in checks["configuration"].detail


def test_a_pending_migration_is_named(tmp_path: Path) -> None:
    behind = create_db_engine(f"sqlite:///{tmp_path / 'behind.db'}")
    config = alembic_config(behind)
    with behind.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, "0005")  # the previous release's schema
    checks = _by_name(run_checks(behind, config_path=DEFAULT_CONFIG_PATH))
    assert not checks["migrations"].ok
    assert "at migration 0005" in checks["migrations"].detail
    assert "madoguchi init" in checks["migrations"].detail


def test_the_command_exits_non_zero_naming_the_problem(tmp_path: Path) -> None:
    environment = {"MADOGUCHI_DATABASE_URL": f"sqlite:///{tmp_path / 'none.db'}", "MADOGUCHI_FONT": "/nonexistent.ttc"}
    done = subprocess.run(
        [sys.executable, "-m", "server.cli", "check"],
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 1
    assert "FAIL  migrations" in done.stdout
    assert "FAIL  font" in done.stdout
    assert "problem(s): migrations, font" in done.stderr
