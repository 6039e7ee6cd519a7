"""Schema migrations with Alembic, for the CLI, the app's start-up check and the tests."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    with engine.begin() as connection:
        upgrade_connection(connection, revision)


def upgrade_connection(connection: Connection, revision: str = "head") -> None:
    command.upgrade(alembic_config(connection), revision)


def is_current(engine: Engine) -> bool:
    """Whether the database is at the newest revision (and so safe to serve)."""
    heads = set(ScriptDirectory.from_config(alembic_config()).get_heads())
    with engine.connect() as connection:
        current = set(MigrationContext.configure(connection).get_current_heads())
    return current == heads


def schema_ready(app) -> bool:
    """Cached :func:`is_current` for the app: checked until the first success."""
    if not app.extensions.get("paverkan_schema_ok"):
        from survey.db import database

        app.extensions["paverkan_schema_ok"] = is_current(database(app).engine)
    return app.extensions["paverkan_schema_ok"]
