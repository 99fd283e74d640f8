"""`madoguchi check`: is this installation ready for Monday morning? One line per check.

Configuration, database, migrations, time zone, the Japanese font for slips, speech engines,
and a printer when one is named. The command exits non-zero when any check fails, naming it.
"""

import importlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text
from sqlmodel import Session, select

from server.announcements.engines import EspeakNgEngine, FestivalEngine, OpenJTalkEngine
from server.catalog.loader import ConfigError, load_config_file
from server.catalog.translations import translations_summary
from server.config import get_settings
from server.database_setup import alembic_config
from server.models import Branch
from server.operations.backup import ensure_pg_dump_matches


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def run_checks(engine: Engine, *, config_path: Path, printer_url: str | None = None) -> list[Check]:
    return list(_checks(engine, config_path=config_path, printer_url=printer_url))


def _checks(engine: Engine, *, config_path: Path, printer_url: str | None) -> Iterator[Check]:
    yield _guarded("configuration", lambda: _configuration(config_path))
    yield _guarded("translations", lambda: _translations(config_path))
    database = _guarded("database", lambda: _database(engine))
    yield database
    if database.ok:
        migrations = _guarded("migrations", lambda: _migrations(engine))
        yield migrations
        if migrations.ok:
            yield _guarded("time zone", lambda: _time_zones(engine))
        if engine.dialect.name == "postgresql":
            yield _guarded("backup tool", lambda: ensure_pg_dump_matches(engine))
    yield _guarded("font", _japanese_font)
    yield _guarded("speech (ja)", _japanese_speech)
    yield _guarded("speech (en)", _english_speech)
    if printer_url is not None:
        yield _guarded("printer", lambda: _printer(printer_url))


def _guarded(name: str, check: Callable[[], str]) -> Check:
    """A check passes when it returns what it found; any error is its failure, said plainly."""
    try:
        return Check(name, True, check())
    except Exception as error:
        return Check(name, False, str(error) or type(error).__name__)


def _configuration(path: Path) -> str:
    try:
        config = load_config_file(path)
    except ConfigError as error:
        raise RuntimeError(f"{path} is refused: {error}") from error
    counts = f"{len(config.services)} services, {len(config.counters)} counters, {len(config.life_events)} life events"
    return f"{path}: {counts}"


def _translations(path: Path) -> str:
    """Fails when something citizens read would be shown in English or Japanese instead."""
    summary, missing = translations_summary(load_config_file(path))
    if missing:
        raise RuntimeError(summary)
    return summary


def _database(engine: Engine) -> str:
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
    except Exception as error:
        raise RuntimeError(f"cannot reach {engine.url.render_as_string(hide_password=True)}: {error}") from error
    return f"{engine.dialect.name} at {engine.url.render_as_string(hide_password=True)} answers"


def _migrations(engine: Engine) -> str:
    scripts = ScriptDirectory.from_config(alembic_config(engine))
    head = scripts.get_current_head()
    with engine.connect() as connection:
        current = MigrationContext.configure(connection).get_current_revision()
    if current is None:
        raise RuntimeError("the database has no schema yet: run `madoguchi init`")
    if current not in {script.revision for script in scripts.walk_revisions()}:
        raise RuntimeError(
            f"the database is at migration {current}, written by a newer release (this one knows {head})"
        )
    if current != head:
        raise RuntimeError(f"the database is at migration {current}, this release needs {head}: run `madoguchi init`")
    return f"at {head} (this release's newest)"


def _time_zones(engine: Engine) -> str:
    with Session(engine) as session:
        branches = session.exec(select(Branch)).all()
    if not branches:
        raise RuntimeError("no branch is configured: run `madoguchi init`")
    for branch in branches:
        try:
            ZoneInfo(branch.timezone)
        except (ZoneInfoNotFoundError, ValueError) as error:
            raise RuntimeError(f"branch {branch.id}: unknown time zone {branch.timezone!r}") from error
    return ", ".join(f"{branch.id} {branch.timezone}" for branch in branches)


def _japanese_font() -> str:
    # The slip printer's own lookup, so this says what printing will find.
    fonts = importlib.import_module("printer.fonts")
    return f"slips print with {fonts.find_japanese_font().name}"


def _japanese_speech() -> str:
    engine = OpenJTalkEngine()
    return engine.version


def _english_speech() -> str:
    # The announcer's own choice (default_engines): Festival's HTS voice when installed.
    choice = get_settings().english_voice
    festival_problem = None
    if choice != "espeak-ng":
        festival = FestivalEngine()
        festival_problem = festival.problem()
        if festival_problem is None:
            return festival.version
        if choice == "festival":
            raise RuntimeError(f"MADOGUCHI_ENGLISH_VOICE=festival, but {festival_problem}")
    engine = EspeakNgEngine()
    if not engine.available():
        raise RuntimeError(
            "espeak-ng is not installed (Debian: apt-get install espeak-ng); calls are said in Japanese only"
        )
    if festival_problem is not None:
        return f"{engine.version} ({festival_problem} for a more natural English voice)"
    return engine.version


def _printer(url: str) -> str:
    status = importlib.import_module("printer.status")
    found = status.query_printer_status(url, timeout_seconds=2.0)
    if not found.can_print:
        raise RuntimeError(f"{url}: {found}")
    return f"{url}: {found}"
