"""`paverkan db upgrade|revision`: the only way the schema changes."""

from __future__ import annotations

import click
from alembic import command
from flask.cli import AppGroup

from survey import migrate
from survey.db import database


@click.group(cls=AppGroup, help="Create or upgrade the database schema.")
def db() -> None:
    pass


@db.command(help="Bring the database to the newest schema (creates it when empty).")
def upgrade() -> None:
    migrate.upgrade(database().engine)
    click.echo("The database is up to date.")


@db.command(help="Write a new migration comparing the models with the database.")
@click.option("-m", "--message", required=True)
def revision(message: str) -> None:
    with database().engine.begin() as connection:
        command.revision(
            migrate.alembic_config(connection), message=message, autogenerate=True
        )
