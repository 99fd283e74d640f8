"""Upgrades: this release migrates any database an earlier release wrote, and refuses one that a
newer release wrote (its migrations are unknown here, and running ours could undo nothing but
would leave a schema this code does not understand)."""

from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from server.errors import Conflict


class DatabaseTooNew(Conflict):
    code = "database_too_new"


def refuse_unknown_revision(connection: Connection, config: Config) -> None:
    """Raise before migrating when the database is at a revision this release does not know."""
    current = MigrationContext.configure(connection).get_current_heads()
    scripts = ScriptDirectory.from_config(config)
    known = {script.revision for script in scripts.walk_revisions()}
    unknown = [revision for revision in current if revision not in known]
    if unknown:
        raise DatabaseTooNew(
            f"このデータベースは新しい版の Madoguchi で更新されています(マイグレーション {', '.join(unknown)})。"
            f"この版({scripts.get_current_head()} まで)では扱えないため、何も変更していません。"
            " 新しい版をインストールするか、バックアップから復元してください。"
            f" The database was migrated by a newer release (revision {', '.join(unknown)}); this release knows"
            f" revisions up to {scripts.get_current_head()} and changed nothing. Install the newer release, or"
            " restore a backup taken before the upgrade."
        )
