"""Create or migrate the schema (Alembic) and load a city-hall configuration."""

from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine
from sqlmodel import Session

from server.catalog.loader import load_config_file
from server.catalog.service import apply_config
from server.models import Branch
from server.operations.upgrade import refuse_unknown_revision
from server.realtime.events import EventType, record_event

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def alembic_config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False))
    return config


def migrate(engine: Engine) -> None:
    config = alembic_config(engine)
    with engine.begin() as connection:
        refuse_unknown_revision(connection, config)  # written by a newer release: touch nothing
        config.attributes["connection"] = connection
        command.upgrade(config, "head")


def initialise(engine: Engine, config_path: Path) -> Branch:
    """Idempotent: run it after every upgrade or configuration change."""
    config = load_config_file(config_path)  # check the file before touching the database
    migrate(engine)
    with Session(engine, expire_on_commit=False) as session:
        branch = apply_config(session, config)
        # A server already running reads the new rules when this reaches it through the bus.
        record_event(session, type=EventType.catalog_changed, branch_id=branch.id, now=datetime.now(UTC))
        session.commit()
        return branch
