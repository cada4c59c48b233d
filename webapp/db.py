"""The database object, shared column types and the transaction helpers every service uses.

Two databases are supported: SQLite (the embedded default) and PostgreSQL. They differ in
how a write transaction is serialised, so services never open one by hand; they call
:func:`lock_row` (or :func:`begin_write`) before their first write:

- PostgreSQL: ``SELECT … FOR UPDATE`` on the row that guards the rule (an event for its
  seats). Other events' bookings go on in parallel.
- SQLite: one writer at a time for the whole file. A deferred transaction that has read and
  then tries to write fails at once with "database is locked" when another connection wrote
  meanwhile (WAL snapshots cannot be upgraded), so a write transaction is started with
  ``BEGIN IMMEDIATE``, which waits (``busy_timeout``) for the write lock instead.

Hot paths (a registration) write their new rows with :func:`insert_loaded`: one ``INSERT …
RETURNING`` the id per class, the objects then in the session as a flush leaves them, but
without the unit of work, which costs several times the statements it runs.
"""

from __future__ import annotations

import enum
import os
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from typing import Any

from flask_sqlalchemy import SQLAlchemy
from sqlalchemy import (
    DateTime,
    Enum,
    Executable,
    MetaData,
    TextClause,
    bindparam,
    create_engine,
    event,
    insert,
    inspect,
    select,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import (
    MANYTOONE,
    DeclarativeBase,
    Session,
    joinedload,
    make_transient_to_detached,
)
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


db = SQLAlchemy(model_class=Base)

_IMMEDIATE = "traffpunkt_sqlite_immediate"


def utcnow() -> datetime:
    """The current time, aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """An aware datetime stored in UTC on every database.

    SQLite has no time zones: values are stored as naive UTC and read back as aware UTC, so
    the rest of the code sees the same thing on both databases. Naive values are refused
    rather than guessed.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def str_enum(enum_class: type[enum.Enum], name: str) -> Enum:
    """A portable enum column: a string with a CHECK constraint, same on SQLite and PostgreSQL."""
    return Enum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=32,
        values_callable=lambda members: [m.value for m in members],
        validate_strings=True,
    )


#: How long a SQLite connection waits for another's write lock, in milliseconds.
_SQLITE_BUSY_MS = 30000


def _sqlite_file(engine: Engine) -> bool:
    """Whether a SQLite engine is on a file (another connection to an in-memory database
    is another database)."""
    url = engine.url
    return url.database not in (None, "", ":memory:") and "mode=memory" not in str(url)


def configure_engine(engine: Engine) -> None:
    """Set up SQLite connections: WAL, foreign keys, a busy timeout, our own BEGIN."""
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event decide how a transaction starts (see module doc).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
        if _sqlite_file(engine):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        immediate = conn.get_execution_options().get(_IMMEDIATE)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _track_writes(session: Session, _flush_context: Any) -> None:
    session.info["wrote"] = True


def _forget_writes(session: Session, *_args: Any) -> None:
    session.info.pop("wrote", None)
    session.info.pop("writing", None)


# Remember whether the current transaction has written (see begin_write).
event.listen(db.session, "after_flush", _track_writes)
event.listen(db.session, "after_commit", _forget_writes)
event.listen(db.session, "after_rollback", _forget_writes)


def begin_write(session: Session | None = None) -> None:
    """Make sure the current transaction may write without failing under concurrency.

    On SQLite a transaction that has only read so far is ended (loaded objects are expired
    and reload on next access, now under the write lock) and a ``BEGIN IMMEDIATE`` one
    begins. A transaction that has already written holds the write lock and goes on.
    """
    session = session or db.session()
    if session.get_bind().dialect.name != "sqlite" or session.info.get("writing"):
        return
    if session.new or session.dirty or session.deleted:
        session.flush()
    if not session.info.get("wrote"):
        if session.in_transaction():
            session.rollback()
        session.connection(execution_options={_IMMEDIATE: True})
    session.info["writing"] = True


_READER = "_traffpunkt_reader"
_HELD = "_traffpunkt_held"


def reader_engine(engine: Engine | None = None) -> Engine:
    """The engine :func:`read_row` uses: on PostgreSQL an engine of its own, in autocommit
    and without a ping before each use; on SQLite the app's engine itself.

    The cache versions of public pages are read this way, because on a cache hit they are
    the request's only database work: a single SELECT needs no transaction, and the
    ``BEGIN``, ``ROLLBACK`` and pre-ping ``SELECT 1`` around it on the app's pool would cost
    three more round trips than the SELECT itself. A connection that died with the server
    is noticed on use instead, and the read is tried once more (:func:`read_row`). It is
    disposed with the app's engine. SQLite's transactions are in-process and stay.

    The fixed :func:`~sqlalchemy.text` reads go further: each thread holds one connection
    and one cursor of this engine's (:class:`_HeldCursors`), so a read is the driver's
    ``execute`` alone, with no pool checkout, check-in and reset around it (on PostgreSQL
    about a third of the read's cost on a local server).
    """
    engine = engine or db.engine
    reader = engine.__dict__.get(_READER)
    if reader is None:
        if engine.dialect.name == "sqlite":
            reader = engine
            if _sqlite_file(engine):
                held = reader.__dict__[_HELD] = _HeldCursors(reader)
                event.listen(engine, "engine_disposed", lambda _engine: held.close_all())
        else:
            reader = create_engine(engine.url, isolation_level="AUTOCOMMIT", pool_size=2)
            held = reader.__dict__[_HELD] = _HeldCursors(reader)

            @event.listens_for(engine, "engine_disposed")
            def _dispose(_engine: Engine) -> None:
                held.close_all()
                reader.dispose()

        engine.__dict__[_READER] = reader
    return reader


class _HeldCursors:
    """One DBAPI connection and cursor per thread (and process) for :func:`read_row`'s
    fixed reads, in autocommit (on SQLite: a file's; each read sees what was committed).

    The connections come from the dialect directly, not from the reader's pool, so a
    server with many threads never waits for a pooled one. After a fork the child opens
    its own (the parent's socket is left alone: closing it would end the parent's
    session). A connection an error found dead is closed and forgotten, and the next
    read opens another.
    """

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self.local = threading.local()
        self.opened: list[tuple[int, Any]] = []  # (pid, connection), to close on dispose
        self.lock = threading.Lock()

    def cursor(self) -> Any:
        local = self.local
        pid = os.getpid()
        if getattr(local, "pid", None) != pid:
            dialect = self.engine.dialect
            cargs, cparams = dialect.create_connect_args(self.engine.url)
            connection = dialect.connect(*cargs, **cparams)
            if dialect.name == "sqlite":
                connection.isolation_level = None  # no BEGIN: each read on its own
                connection.execute(f"PRAGMA busy_timeout={_SQLITE_BUSY_MS}")
            else:
                connection.autocommit = True
            local.pid, local.connection, local.cursor = pid, connection, connection.cursor()
            with self.lock:
                self.opened.append((pid, connection))
        return local.cursor

    def forget(self) -> None:
        """Close this thread's connection (it failed); the next read opens a new one."""
        connection = getattr(self.local, "connection", None)
        self.local.pid = None
        if connection is not None:
            with self.lock:
                self.opened = [(p, c) for p, c in self.opened if c is not connection]
            connection.close()

    def close_all(self) -> None:
        pid = os.getpid()
        with self.lock:
            mine = [c for p, c in self.opened if p == pid]
            self.opened = []
        for connection in mine:
            connection.close()
        self.local = threading.local()


#: The fixed reads of the request being answered, while :func:`reads_once` is in force.
_REQUEST_READS: ContextVar[dict[tuple[int, tuple[Any, ...]], Any] | None] = ContextVar(
    "request_reads", default=None
)


@contextmanager
def reads_once() -> Iterator[None]:
    """Inside, each fixed :func:`~sqlalchemy.text` read of :func:`read_row` with the same
    parameters runs once: the front (:mod:`webapp.front`) checks a version and, when the
    page changed, hands the request to Flask, whose view reads the same version again.
    Only for a request that writes nothing (a public GET)."""
    token = _REQUEST_READS.set({})
    try:
        yield
    finally:
        _REQUEST_READS.reset(token)


def read_row(statement: Executable, params: dict[str, Any] | None = None) -> Sequence[Any] | None:
    """The first row of one read on :func:`reader_engine`, outside the ORM session's
    transaction; once more on a new connection when the pooled one had died.

    A fixed :func:`~sqlalchemy.text` statement goes to the driver's cursor as compiled once
    for the database (no result processing: values come as the driver returns them, so a
    SQLite timestamp is text); anything else through SQLAlchemy.
    """
    reads = _REQUEST_READS.get()
    if reads is not None and isinstance(statement, TextClause):
        key = (id(statement), tuple(sorted((params or {}).items())))
        if key not in reads:
            reads[key] = _read_row(statement, params)
        return reads[key]
    return _read_row(statement, params)


def _read_row(statement: Executable, params: dict[str, Any] | None) -> Sequence[Any] | None:
    engine = reader_engine()
    for attempt in (1, 2):
        try:
            if isinstance(statement, TextClause):
                return _read_raw(engine, statement, params or {})
            with engine.connect() as connection:
                return connection.execute(statement, params or {}).first()
        except DBAPIError as error:
            if attempt == 2 or not error.connection_invalidated:
                raise
    raise AssertionError("unreachable")


_COMPILED: dict[tuple[int, str], tuple[TextClause, str, tuple[str, ...] | None]] = {}


def _read_raw(engine: Engine, statement: TextClause, params: dict[str, Any]) -> Any:
    key = (id(statement), engine.dialect.name)
    found = _COMPILED.get(key)
    if found is None or found[0] is not statement:
        compiled = statement.compile(dialect=engine.dialect)
        order = tuple(compiled.positiontup or ()) if compiled.positional else None
        found = _COMPILED[key] = (statement, str(compiled), order)
    _, sql, order = found
    bound = tuple(params[name] for name in order) if order is not None else params
    held: _HeldCursors | None = engine.__dict__.get(_HELD)
    connection = None
    cursor = None
    try:
        if held is not None:
            cursor = held.cursor()
        else:
            connection = engine.raw_connection()
            cursor = connection.cursor()
        # Listeners (the tests' statement counter) see it too; there is no Connection.
        engine.dispatch.before_cursor_execute(None, cursor, sql, bound, None, False)
        cursor.execute(sql, bound)
        return cursor.fetchone()
    except engine.dialect.loaded_dbapi.Error as error:
        # As SQLAlchemy would: a lost connection is dropped, and read_row tries again on a
        # new one.
        dbapi_connection = connection if held is None else getattr(cursor, "connection", None)
        lost = engine.dialect.is_disconnect(error, dbapi_connection, cursor)
        if lost:
            if held is not None:
                held.forget()
            else:
                assert connection is not None
                connection.invalidate(error)
        raise DBAPIError.instance(
            sql, bound, error, engine.dialect.loaded_dbapi.Error, connection_invalidated=lost
        ) from error
    finally:
        if held is None:
            if cursor is not None:
                cursor.close()
            if connection is not None:
                connection.close()


_LOCKS: dict[tuple[type[Any], str, tuple[Any, ...]], Executable] = {}


def lock_row(
    model: type[Any], pk: int, session: Session | None = None, *, load: tuple[Any, ...] = ()
) -> Any:
    """Load one row for update: the lock that serialises a service's rule on that row.

    Returns the object (refreshed from the database) or ``None`` when it does not exist.
    ``load`` names relationships read in the same statement (joined; on PostgreSQL only
    the row itself is locked). The statement is built once per model, database and
    ``load`` (building it costs more than running it).
    """
    session = session or db.session()
    begin_write(session)
    dialect = session.get_bind().dialect.name
    stmt = _LOCKS.get((model, dialect, load))
    if stmt is None:
        stmt = (
            select(model)
            .where(model.id == bindparam("pk"))
            .options(*(joinedload(relation) for relation in load))
            .execution_options(populate_existing=True)
        )
        if dialect != "sqlite":
            stmt = stmt.with_for_update(of=model) if load else stmt.with_for_update()
        _LOCKS[model, dialect, load] = stmt
    return session.scalars(stmt, {"pk": pk}).unique().one_or_none()


_INSERTS: dict[tuple[type[Any], tuple[str, ...], str], Executable] = {}


def insert_loaded(
    instances: Sequence[Any],
    session: Session | None = None,
    *,
    unless_exists: tuple[str, ...] = (),
) -> bool:
    """Write new objects with one ``INSERT … RETURNING`` their ids per class, and put them in
    the session as persistent and unchanged, as a flush would leave them.

    For the hot paths (a registration's company, booking, participants, profile): a
    flush's unit of work, or an ORM ``INSERT … RETURNING`` the entity, costs several times
    the statement it runs. ``instances`` are transient, parents before their children (a
    run of one class is one statement); a many-to-one relationship that is set gives its
    foreign key, as a flush would (the parent has its id by then). A column not set gets
    its Python default, evaluated as the INSERT would, and the object keeps the value, so
    nothing reads the rows back; a column left unset whose default is server-side or SQL
    is refused rather than guessed. ``unless_exists`` names the columns of a unique constraint: one
    object, inserted with ``ON CONFLICT (…) DO NOTHING``; False when a row had those values
    already (the object is then left transient). Otherwise True.
    """
    session = session or db.session()
    if unless_exists and len(instances) != 1:
        raise ValueError("unless_exists writes one object")
    start = 0
    while start < len(instances):
        cls = type(instances[start])
        end = start
        while end < len(instances) and type(instances[end]) is cls:
            end += 1
        if not _insert_run(session, inspect(cls), instances[start:end], unless_exists):
            return False
        start = end
    session.info["wrote"] = True  # as a flush marks it (begin_write)
    for instance in instances:
        make_transient_to_detached(instance)
    session.add_all(instances)
    return True


def _insert_run(
    session: Session, mapper: Any, instances: Sequence[Any], unless_exists: tuple[str, ...]
) -> bool:
    (pk,) = mapper.primary_key
    rows = []
    for instance in instances:
        values = inspect(instance).dict
        for relation in mapper.relationships:
            parent = values.get(relation.key)
            if relation.direction is MANYTOONE and parent is not None:
                parent_mapper = inspect(type(parent))
                for local, remote in relation.local_remote_pairs:
                    values[mapper.get_property_by_column(local).key] = getattr(
                        parent, parent_mapper.get_property_by_column(remote).key
                    )
        row = {}
        for prop in mapper.column_attrs:
            (column,) = prop.columns
            if column is pk:
                continue
            if prop.key not in values:
                values[prop.key] = _python_default(column)
            row[column.key] = values[prop.key]
        rows.append(row)
    dialect = session.get_bind().dialect.name
    statement = _INSERTS.get((mapper.class_, unless_exists, dialect))
    if statement is None:
        if unless_exists:
            module = postgresql if dialect == "postgresql" else sqlite
            statement = module.insert(mapper.local_table).on_conflict_do_nothing(
                index_elements=list(unless_exists)
            )
        else:
            statement = insert(mapper.local_table)
        statement = statement.returning(pk, sort_by_parameter_order=not unless_exists)
        _INSERTS[mapper.class_, unless_exists, dialect] = statement
    ids = session.execute(statement, rows if len(rows) > 1 else rows[0]).scalars().all()
    if not ids:
        return False  # unless_exists: the row was there
    key = mapper.get_property_by_column(pk).key
    for instance, new_id in zip(instances, ids, strict=True):
        inspect(instance).dict[key] = new_id
    return True


def _python_default(column: Any) -> Any:
    default = column.default
    if column.server_default is not None or (
        default is not None and not (default.is_scalar or default.is_callable)
    ):
        raise ValueError(f"{column}: insert_loaded cannot evaluate its default")
    if default is None:
        return None
    return default.arg(None) if default.is_callable else default.arg
