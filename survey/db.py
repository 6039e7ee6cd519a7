"""Plain SQLAlchemy 2.0: one engine per application, one session per request.

The same :class:`Database` serves the web app, the CLI and Alembic, so all three see the same
SQLite pragmas. Tests swap :attr:`Database.sessionmaker` for one joined to an outer
transaction that is rolled back after each test.
"""

from __future__ import annotations

from flask import Flask, current_app, g, got_request_exception
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker


class Base(DeclarativeBase):
    pass


class Database:
    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessionmaker: sessionmaker[Session] = sessionmaker(self.engine)


def make_engine(url: str) -> Engine:
    """An engine; for SQLite with WAL, foreign keys, a busy timeout and real transactions.

    pysqlite's own transaction handling defers ``BEGIN`` and breaks savepoints, so we issue
    ``BEGIN IMMEDIATE`` ourselves: a transaction that reads and then writes (submit, flush)
    can never fail halfway because another writer slipped in between.
    """
    if not url.startswith("sqlite"):
        return create_engine(url, pool_pre_ping=True)
    engine = create_engine(url, connect_args={"timeout": 30})

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

    @event.listens_for(engine, "begin")
    def _on_begin(connection):
        connection.exec_driver_sql("BEGIN IMMEDIATE")

    return engine


def init_app(app: Flask) -> None:
    app.extensions["paverkan_db"] = Database(app.config["DATABASE_URL"])
    app.teardown_appcontext(_close_session)
    got_request_exception.connect(_roll_back, app)


def database(app: Flask | None = None) -> Database:
    return (app or current_app).extensions["paverkan_db"]


def session() -> Session:
    """The session of the current request or CLI command, opened on first use."""
    if "db_session" not in g:
        g.db_session = database().sessionmaker()
    return g.db_session


def _roll_back(_sender: Flask, **_extra) -> None:
    """A view that failed half way leaves its writes pending in the request's session, and
    Flask still saves the visitor's session afterwards, which commits: undo them first."""
    db_session = g.get("db_session")
    if db_session is not None:
        db_session.rollback()


def _close_session(_exc: BaseException | None) -> None:
    db_session = g.pop("db_session", None)
    if db_session is not None:
        db_session.close()
