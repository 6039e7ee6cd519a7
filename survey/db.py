"""Plain SQLAlchemy 2.0: one engine per application, one session per request.

The same :class:`Database` serves the web app, the CLI and Alembic, so all three see the same
SQLite pragmas. Tests swap :attr:`Database.sessionmaker` for one joined to an outer
transaction that is rolled back after each test.
"""

from __future__ import annotations

import select

from flask import Flask, current_app, g, got_request_exception
from sqlalchemy import Connection, Engine, create_engine, event, exc
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    pass


class Database:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessionmaker: sessionmaker[Session] = sessionmaker(self.engine)
        #: For a request whose statements each stand alone (:func:`without_transaction`): on
        #: PostgreSQL without a transaction, so that it spends no round trips on BEGIN and
        #: COMMIT or ROLLBACK (a respondent's page shown is one statement, a page sent two);
        #: the ordinary engine where that gains nothing (SQLite, where a transaction is the
        #: driver's BEGIN, and a write needs its own to take the write lock).
        self.engine_without_transaction: Engine = (
            self.engine.execution_options(isolation_level="AUTOCOMMIT")
            if self.engine.dialect.name == "postgresql" else self.engine)

    @property
    def single_connection(self) -> bool:
        """Every session shares one connection (the tests' outer transaction), so no other
        thread may open one: background work then runs in the caller's thread."""
        return isinstance(self.sessionmaker.kw.get("bind"), Connection)


def make_engine(url: str) -> Engine:
    """An engine that never logs its statements' parameters (token hashes, markers: see
    survey/logs.py); for SQLite with WAL, foreign keys, a busy timeout and the write lock taken
    only by a transaction that writes (:func:`_sqlite_write_lock`)."""
    if not url.startswith("sqlite"):
        engine = create_engine(url, hide_parameters=True)
        event.listen(engine, "checkout", _discard_if_ended)
        return engine
    engine = create_engine(url, connect_args={"timeout": 30}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, _record):
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys = ON")
        # Deleted and overwritten content is zeroed in the file, not left in free space for
        # whoever copies it (Debian builds SQLite so by default; other builds do not).
        cursor.execute("PRAGMA secure_delete = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.close()

    _sqlite_write_lock(engine)
    return engine


def _discard_if_ended(dbapi_connection, _record, _proxy) -> None:
    """Hand out no pooled connection the server has ended (a restart, a terminated backend),
    so that no request meets a dead one as a 500, without `pool_pre_ping`'s round trip per
    request (half of a page view's round trips, about 140 µs of the worker's CPU; this
    costs about 6 µs).

    An idle connection of ours has nothing to read: the server speaks only when asked. One
    it ended has its last words waiting in the socket (the FATAL message and the end of the
    stream), so a socket that is readable now, asked without waiting, means a connection to
    discard, and the pool connects afresh (SQLAlchemy's documented use of
    `DisconnectionError` in a checkout listener); anything else waiting there (a notice)
    costs no more than that new connection. A server that vanished without a word (a
    crashed host, a cut network) leaves nothing to read: the first statement then waits for
    TCP to give up and fails, where a pre-ping would have waited as long."""
    if dbapi_connection.closed:
        raise exc.DisconnectionError("the connection is closed")
    waiting = select.poll()
    waiting.register(dbapi_connection.fileno(), select.POLLIN)
    if waiting.poll(0):
        raise exc.DisconnectionError("the server ended the connection")


class Prebuilt:
    """A fixed Core statement of a respondent's hot path, run on the driver's own cursor.

    A respondent's request is one or two small statements, and running one through
    :meth:`Connection.execute` cost the worker four to five times the driver's own work
    (SQLite: 38 µs against 8 µs): the statement's cache key, walked anew on every run, an
    execution context, events, and a result object built from the cursor's description of
    every column (on PostgreSQL psycopg builds that description only when asked). Here the
    statement is compiled by SQLAlchemy once per dialect, and each run is the driver's
    ``execute`` with the compiled SQL, the parameters put through the columns' bind
    processors and the row through their result processors (SQLite's dates, booleans and
    JSON), so a row holds the same values SQLAlchemy would give.

    On PostgreSQL the results come in psycopg's binary format when ``binary_results``:
    psycopg asks for text by default, where a ``bytea`` is hex, and reading a link's 28 KB
    sealed draft that way cost about 80 µs of CPU more (twice the bytes to receive, then
    decoded). Every column type of those statements has a binary loader giving the same
    Python value (JSON included).

    The transaction is the connection's own: a statement runs inside the one the
    connection (or its session) has begun; on a connection that has begun none (a request
    :func:`without_transaction`, whose statements each stand alone) it runs as a
    transaction of its own, without SQLAlchemy's BEGIN and ROLLBACK (on SQLite the
    driver's connections autocommit, :func:`make_engine`; on PostgreSQL such a connection is
    ``AUTOCOMMIT``). One that ``writes`` on SQLite inside a reader's transaction first takes
    the write lock, as :func:`_sqlite_write_lock` does for SQLAlchemy's statements. A
    driver's error is raised as SQLAlchemy raises it (``sqlalchemy.exc.DBAPIError`` and its
    kinds, parameters hidden), and a lost connection is invalidated as SQLAlchemy does.
    SQLAlchemy's events and its echo do not see these statements (nor so their
    parameters: token hashes, markers)."""

    def __init__(self, statement, *, writes: bool = False, binary_results: bool = False) -> None:
        self.statement = statement
        self.writes = writes
        self.binary_results = binary_results
        self._compiled: dict[str, _Compiled] = {}

    def first(self, connection: Connection, parameters: dict) -> tuple | None:
        """The first row, or None."""
        return self._run(connection, parameters, _first_row)

    def scalar(self, connection: Connection, parameters: dict):
        """The first column of the first row, or None."""
        row = self.first(connection, parameters)
        return None if row is None else row[0]

    def rowcount(self, connection: Connection, parameters: dict) -> int:
        """How many rows the statement wrote."""
        return self._run(connection, parameters, _row_count)

    def _run(self, connection: Connection, parameters: dict, outcome):
        dialect = connection.dialect
        compiled = self._compiled.get(dialect.name)
        if compiled is None:
            compiled = self._compiled[dialect.name] = _Compiled(self.statement, dialect)
        if connection.in_transaction():
            if self.writes and not connection.info.get("sqlite_writer", True):
                _become_writer(connection)
        elif not (dialect.name == "sqlite"
                  or connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT"):
            connection.begin()  # as SQLAlchemy's own statement would (autobegin)
        driver_connection = connection.connection.dbapi_connection
        values = compiled.values(parameters)
        cursor = driver_connection.cursor()
        try:
            if self.binary_results and dialect.name == "postgresql":
                cursor.execute(compiled.sql, values, binary=True)
            else:
                cursor.execute(compiled.sql, values)
            return outcome(cursor, compiled)
        except dialect.loaded_dbapi.Error as error:
            if dialect.is_disconnect(error, driver_connection, cursor):
                connection.invalidate(error)
            raise exc.DBAPIError.instance(
                compiled.sql, values, error, dialect.loaded_dbapi.Error,
                hide_parameters=True, dialect=dialect) from error
        finally:
            cursor.close()  # on SQLite also ends the statement's read of the database


class _Compiled:
    """A :class:`Prebuilt` statement compiled for one dialect."""

    def __init__(self, statement, dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise ValueError("a prebuilt statement's SQL must not depend on its parameters")
        self.sql: str = compiled.string
        #: The parameters' order for a driver that takes them by position (SQLite).
        self.order: list[str] | None = list(compiled.positiontup) if compiled.positional else None
        #: The statement's own values (``state != 'closed'``): SQLAlchemy names them.
        self.defaults = {name: bind.effective_value for bind, name in compiled.bind_names.items()
                         if not bind.required}
        self.bind_processors = [
            (name, processor) for bind, name in compiled.bind_names.items()
            if (processor := bind.type.dialect_impl(dialect).bind_processor(dialect))]
        self.result_processors = [
            (index, processor)
            for index, column in enumerate(getattr(statement, "selected_columns", ()))
            if (processor := column.type.dialect_impl(dialect).result_processor(dialect, None))]

    def values(self, parameters: dict) -> dict | tuple:
        values = {**self.defaults, **parameters}
        for name, process in self.bind_processors:
            if name in values:
                values[name] = process(values[name])
        return values if self.order is None else tuple(values[name] for name in self.order)

    def row(self, row: tuple) -> tuple:
        if not self.result_processors:
            return row
        row = list(row)
        for index, process in self.result_processors:
            row[index] = process(row[index])
        return tuple(row)


def _first_row(cursor, compiled: _Compiled) -> tuple | None:
    row = cursor.fetchone()
    return None if row is None else compiled.row(row)


def _row_count(cursor, _compiled: _Compiled) -> int:
    return cursor.rowcount


#: Statements that only read; any other statement SQLite runs needs the write lock.
_READING = frozenset({"SELECT", "PRAGMA", "EXPLAIN", "BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT",
                      "RELEASE"})


def _sqlite_write_lock(engine: Engine) -> None:
    """Transactions begin as readers and take SQLite's write lock at their first write.

    pysqlite's own transaction handling defers ``BEGIN`` and breaks savepoints, so we issue
    ``BEGIN`` ourselves. A reader holds no lock in WAL mode, so a request that waits for its
    body or renders a page blocks nobody. SQLite cannot turn a reader into a writer once
    another writer committed after it began (and then fails at once, without waiting), so the
    first write, or a ``SELECT ... FOR UPDATE`` (whose later writes depend on what it reads),
    ends the reader and starts ``BEGIN IMMEDIATE``, which waits for the lock: what follows sees
    the newest data, as PostgreSQL's READ COMMITTED does. Inside a savepoint (the tests' outer
    transaction) the reader is upgraded in place instead.
    """

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        # On the driver's connection: through SQLAlchemy, BEGIN cost as much as a query.
        connection.connection.driver_connection.execute("BEGIN")
        connection.info["sqlite_writer"] = False

    @event.listens_for(engine, "before_cursor_execute")
    def _before_write(connection, cursor, statement, _parameters, context, _executemany):
        if connection.info.get("sqlite_writer", True) or not _writes(statement, context):
            return
        _become_writer(connection)


def _writes(statement: str, context) -> bool:
    compiled = getattr(context, "compiled", None)
    if compiled is not None:
        return (context.isinsert or context.isupdate or context.isdelete or context.isddl
                or getattr(compiled.statement, "_for_update_arg", None) is not None)
    keyword = statement.lstrip().split(None, 1)[0].upper() if statement.strip() else ""
    return keyword not in _READING


def _become_writer(connection: Connection) -> None:
    connection.info["sqlite_writer"] = True
    if connection.in_nested_transaction():
        return
    cursor = connection.connection.dbapi_connection.cursor()
    cursor.execute("COMMIT")  # the reader wrote nothing
    cursor.execute("BEGIN IMMEDIATE")
    cursor.close()


def write_lock(db_session: Session) -> None:
    """Hold SQLite's write lock from here to the commit: for a write whose reads decide it
    (a submit must see the pool and the round as they are when it writes). PostgreSQL's row
    locks are the callers' own business; there this does nothing."""
    connection = db_session.connection()
    if connection.dialect.name == "sqlite" and not connection.info.get("sqlite_writer", True):
        _become_writer(connection)


def init_app(app: Flask) -> None:
    app.extensions["paverkan_db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)
    got_request_exception.connect(_roll_back, app)


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["paverkan_db"]


def session() -> Session:
    """The session of the current request or CLI command, opened on first use; on the
    request's own connection if it has one (:func:`executor`), so that a request never
    holds two (on SQLite the second could wait for the first's write lock)."""
    if "db_session" not in g:
        own = g.get("db_connection")
        if own is None:
            g.db_session = database().sessionmaker()
        else:
            if own.in_transaction():  # a reader's: every write commits at once
                own.commit()
            g.db_session = database().sessionmaker(bind=own)
    return g.db_session


def without_transaction() -> None:
    """Declare (before its first statement) that the current request needs no transaction:
    it only reads, or writes in one statement that checks itself what the write depends on
    (a page sent: :func:`survey.respondent.operations.save_draft`), so that no other
    statement's snapshot or lock has to last until it. Its statements then run on a Core
    connection of its own (:func:`executor`; see
    :attr:`Database.engine_without_transaction`)."""
    g.paverkan_no_transaction = True


def executor() -> Session | Connection:
    """What a request's prebuilt Core statements run on, and commit: the session; or in a
    request declared :func:`without_transaction` that has opened none, a Core connection of
    its own (the ORM session's set-up, state changes and close cost about as much again as
    the statement). Both commit with ``.commit()``. The tests' single connection is always
    used through the session, whose commits only release a savepoint."""
    if ("db_session" in g or not g.get("paverkan_no_transaction")
            or database().single_connection):
        return session()
    if "db_connection" not in g:
        g.db_connection = database().engine_without_transaction.connect()
    return g.db_connection


def connection() -> Connection:
    """The current request's connection, for a prebuilt Core statement on a hot path: it
    skips the ORM's execution layers (a third of a small query's cost)."""
    return connection_of(executor())


def connection_of(executor: Session | Connection) -> Connection:
    """The connection a session (or a connection itself) runs its statements on."""
    return executor if isinstance(executor, Connection) else executor.connection()


def _roll_back(_sender: Flask, **_extra) -> None:
    """A view that failed half way leaves its writes pending in the request's session, and
    Flask still saves the visitor's session afterwards, which commits: undo them first."""
    db_session = g.get("db_session")
    if db_session is not None:
        db_session.rollback()
    own = g.get("db_connection")
    if own is not None and own.in_transaction():
        own.rollback()


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
    own = g.pop("db_connection", None)
    if own is not None:
        own.close()
