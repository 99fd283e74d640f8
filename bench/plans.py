"""The statements a service function sends, and the database's plan for each."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine, event

# Plan lines that read rows in proportion to history rather than to what is waiting:
# a full scan of a history table, or the completed-stops index searched by service alone.
_SQLITE_HISTORY = re.compile(
    r"^SCAN (stop|ticket|event)\b|USING (COVERING )?INDEX ix_stop_service_completed \(service_id=\?\)$"
)
_POSTGRESQL_HISTORY = re.compile(r"Seq Scan on (stop|ticket|event)\b")


@dataclass
class Statement:
    sql: str
    parameters: Any
    plan: list[str] = field(default_factory=list)

    @property
    def reads_history(self) -> bool:
        return any(_SQLITE_HISTORY.search(line) or _POSTGRESQL_HISTORY.search(line) for line in self.plan)

    def as_dict(self) -> dict[str, Any]:
        return {"sql": " ".join(self.sql.split()), "plan": self.plan, "reads_history": self.reads_history}


@contextmanager
def captured_statements(engine: Engine) -> Iterator[list[Statement]]:
    """Every single (not executemany) statement sent through `engine` inside the block."""
    statements: list[Statement] = []

    def record(_connection: Any, _cursor: Any, sql: str, parameters: Any, _context: Any, executemany: bool) -> None:
        if not executemany:
            statements.append(Statement(sql, parameters))

    event.listen(engine, "before_cursor_execute", record)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", record)


def explain(engine: Engine, statements: list[Statement]) -> list[Statement]:
    """Fill in the plan of each SELECT, UPDATE or DELETE (inserts and BEGINs have none worth reading)."""
    postgresql = engine.dialect.name == "postgresql"
    prefix = "EXPLAIN " if postgresql else "EXPLAIN QUERY PLAN "
    explained = []
    with engine.connect() as connection:
        for statement in statements:
            verb = statement.sql.lstrip().split(None, 1)[0].upper()
            if verb == "SET":
                # Settings the function chose for its transaction (SET LOCAL) shape its plans too.
                connection.exec_driver_sql(statement.sql, statement.parameters or None)
                continue
            if verb not in ("SELECT", "UPDATE", "DELETE"):
                continue
            rows = connection.exec_driver_sql(prefix + statement.sql, statement.parameters).all()
            # SQLite: (id, parent, notused, detail); PostgreSQL: one text column per line.
            statement.plan = [str(row[-1]) for row in rows]
            explained.append(statement)
        connection.rollback()
    return explained
