"""Engine factory and sessions for SQLite (embedded default) and PostgreSQL (scale-out)."""

import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, Select, event, exc
from sqlalchemy.engine import Dialect, make_url
from sqlalchemy.orm import class_mapper, make_transient_to_detached
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.dml import Insert
from sqlmodel import Session, SQLModel, create_engine

WRITE_OPTION = "madoguchi_write"
WRITER_WAIT_SECONDS = 30
# In a connection's info while it holds this process's write lock: when it took it (perf_counter).
HOLDS_WRITE_LOCK = "madoguchi_holds_writer_lock"
# In a session's info: what to do once its transaction has committed (see on_commit).
ON_COMMIT_KEY = "madoguchi_on_commit"


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"


def normalise_url(url: str) -> str:
    """Accept plain postgresql:// URLs and use psycopg 3, the driver we install."""
    if url.startswith("postgresql://") or url.startswith("postgres://"):
        return "postgresql+psycopg://" + url.split("://", 1)[1]
    return url


def create_db_engine(url: str, **kwargs: Any) -> Engine:
    url = normalise_url(url)
    if url.startswith("sqlite"):
        database = make_url(url).database
        if database and database != ":memory:":
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        # A connection for every worker thread: waiting for the pool while another request
        # holds the write lock would only add latency.
        kwargs.setdefault("pool_size", 40)
        kwargs.setdefault("max_overflow", 20)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)
        _configure_sqlite(engine)
        return engine
    kwargs.setdefault("pool_size", 20)
    kwargs.setdefault("max_overflow", 20)
    return create_engine(url, pool_pre_ping=True, **kwargs)


def _configure_sqlite(engine: Engine) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take over transaction control from pysqlite so we can say BEGIN IMMEDIATE.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        # FULL: an acknowledged ticket survives power loss, not only a process crash.
        cursor.execute("PRAGMA synchronous=FULL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.close()

    # Writers of this process queue on a lock before BEGIN IMMEDIATE: a waiting thread is then
    # woken the moment the writer commits, instead of polling in SQLite's busy handler (sleeps
    # of up to 100 ms). Other processes still meet busy_timeout.
    writers = threading.Lock()

    @event.listens_for(engine, "begin")
    def on_begin(connection: Any) -> None:
        # Straight to the driver: SQLAlchemy's execution layer around a bare BEGIN cost more
        # than the BEGIN, on every transaction.
        driver = connection.connection.driver_connection

        def begin(statement: str) -> None:
            try:
                driver.execute(statement)
            except sqlite3.Error as error:
                raise _as_raised_by_sqlalchemy(statement, None, error) from error

        # Writers take the database lock up front: two counters calling at once queue up here
        # instead of both reading the same waiting stop and failing on upgrade.
        if not connection.get_execution_options().get(WRITE_OPTION, False):
            begin("BEGIN")
            return
        if HOLDS_WRITE_LOCK in connection.info:  # a connection's next transaction: it holds the lock already
            begin("BEGIN IMMEDIATE")
            return
        if not writers.acquire(timeout=WRITER_WAIT_SECONDS):
            raise TimeoutError("the database stayed busy; try again")
        try:
            begin("BEGIN IMMEDIATE")
        except BaseException:
            writers.release()
            raise
        connection.info[HOLDS_WRITE_LOCK] = time.perf_counter()

    # The lock goes when the connection returns to the pool, after its COMMIT (or ROLLBACK) has
    # run: the engine's commit event comes before it, and a writer let in there would find the
    # database still locked and sleep in SQLite's busy handler (1, 2, 5, 10 … ms) while the lock
    # sat idle.
    @event.listens_for(engine, "checkin")
    def on_checkin(_dbapi_connection: Any, record: Any) -> None:
        if record.info.pop(HOLDS_WRITE_LOCK, None) is not None:
            writers.release()


def _as_raised_by_sqlalchemy(statement: str, parameters: Any, error: sqlite3.Error) -> exc.StatementError:
    # Callers meet the errors they know: a unique key taken (IntegrityError), a database locked by
    # another process (OperationalError, answered 503).
    return exc.DBAPIError.instance(statement, parameters, error, sqlite3.Error)


# A statement compiled for SQLite: the compiler, its SQL, and each positional parameter's name
# with the type's conversion (None: the driver takes the value as it is).
_CompiledForSqlite = tuple[SQLCompiler, str, list[tuple[str, Any]]]


class DriverStatement:
    """A statement of the busiest writes, run on SQLite's own driver: compiled once, its values
    converted by SQLAlchemy's own types (so stored exactly as through SQLAlchemy), its rows as the
    driver returns them (use it for statements that return integers only).

    Under the write lock SQLAlchemy's execution layer cost ~35 µs a statement, more than SQLite's
    own work (~20 µs), on every issue and every event. PostgreSQL, and any connection whose
    statements someone watches (`before_cursor_execute`: tests, bench/plans.py), go through
    SQLAlchemy as usual."""

    def __init__(self, statement: Insert | Select[Any], keys: Sequence[str]) -> None:
        self.statement = statement
        self._keys = list(keys)  # the values given, for an INSERT: the columns it names
        self._sqlite: _CompiledForSqlite | None = None

    def rows(self, connection: Connection, values: Mapping[str, Any]) -> Sequence[Sequence[Any]]:
        if connection.dialect.name != "sqlite" or connection.dispatch.before_cursor_execute:
            return connection.execute(self.statement, dict(values)).all()
        # Never outside a transaction: the driver is in autocommit mode (see _configure_sqlite).
        assert connection.in_transaction(), "begin the transaction first (session.connection())"
        compiled, sql, positions = self._sqlite or self._compile(connection.dialect)
        given = compiled.construct_params(dict(values))
        parameters = [given[name] if process is None else process(given[name]) for name, process in positions]
        try:
            driver: sqlite3.Connection = connection.connection.driver_connection  # type: ignore[assignment]
            return driver.execute(sql, parameters).fetchall()
        except sqlite3.Error as error:
            raise _as_raised_by_sqlalchemy(sql, parameters, error) from error

    def scalar(self, connection: Connection, values: Mapping[str, Any]) -> Any:
        """The first column of the one row it returns."""
        (row,) = self.rows(connection, values)
        return row[0]

    def scalars_of_each(self, connection: Connection, many: Sequence[Mapping[str, Any]]) -> list[Any]:
        """Run once for each of `many` (an INSERT … RETURNING with sort_by_parameter_order):
        the first column returned for each, in order."""
        if connection.dialect.name != "sqlite" or connection.dispatch.before_cursor_execute:
            return list(connection.execute(self.statement, [dict(values) for values in many]).scalars())
        return [self.scalar(connection, values) for values in many]

    def _compile(self, dialect: Dialect) -> _CompiledForSqlite:
        compiled = self.statement.compile(dialect=dialect, column_keys=self._keys)
        assert isinstance(compiled, SQLCompiler)
        assert compiled.positiontup is not None
        positions = [
            (name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
            for name in compiled.positiontup
        ]
        self._sqlite = (compiled, compiled.string, positions)
        return compiled, compiled.string, positions


def on_commit(session: Session, callback: Callable[[], None]) -> None:
    """Run `callback` once this transaction has committed, never if it rolls back. A request's
    session runs it before SQLite's write lock is let go (server/deps.py); others never do, so
    only what a request's session brings (its process caches) may register one."""
    session.info.setdefault(ON_COMMIT_KEY, []).append(callback)


_WRITER_ATTRIBUTE = "_madoguchi_writer"
_READER_ATTRIBUTE = "_madoguchi_reader"


def writer(engine: Engine) -> Engine:
    """The same engine and pool, marked so that every transaction takes the write lock (SQLite).

    Made once per engine and kept on it: making one copies the engine's event dispatch, a
    measurable part of every request that writes."""
    marked: Engine | None = getattr(engine, _WRITER_ATTRIBUTE, None)
    if marked is None:
        marked = engine.execution_options(**{WRITE_OPTION: True})
        setattr(engine, _WRITER_ATTRIBUTE, marked)
        setattr(marked, _READER_ATTRIBUTE, engine)
    return marked


def reader(engine: Engine) -> Engine:
    """The engine a `writer` was made from (its transactions do not take the write lock); any
    other engine as it is."""
    unmarked: Engine = getattr(engine, _READER_ATTRIBUTE, engine)
    return unmarked


@contextmanager
def write_session(engine: Engine) -> Iterator[Session]:
    """A session whose transactions hold the write lock from their first statement (SQLite)."""
    with Session(writer(engine), expire_on_commit=False) as session:
        yield session


@contextmanager
def read_session(engine: Engine) -> Iterator[Session]:
    with Session(engine, expire_on_commit=False) as session:
        yield session


ModelT = TypeVar("ModelT", bound=SQLModel)


def unsaved_row(model: type[ModelT], values: Mapping[str, Any]) -> ModelT:
    """A model object never added to a session, made without validation (~2 µs against ~55 µs
    for a table model's constructor): a row about to be written, reasoned about first. Columns
    left out read as None."""
    instance = class_mapper(model).class_manager.new_instance()
    instance.__dict__.update(values)
    return instance


def written_row(session: Session, model: type[ModelT], values: Mapping[str, Any]) -> ModelT:
    """The object of a row this transaction has just written with a plain INSERT, as if read
    back: in the session (later changes are flushed as UPDATEs), no second INSERT, no read.

    For hot paths: making a model object the usual way validates every field and the unit of
    work then plans its INSERT, several times the cost of the INSERT itself. `values` must name
    every column (the primary key too), with the values as stored."""
    missing = class_mapper(model).columns.keys() - values.keys()
    # A column left out would be read back later as if expired, hiding what the INSERT stored.
    assert not missing, f"written_row({model.__name__}) lacks {sorted(missing)}"
    instance = unsaved_row(model, values)
    make_transient_to_detached(instance)
    session.add(instance)
    return instance
