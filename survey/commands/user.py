"""`paverkan user add EMAIL --role ROLE`: staff accounts from the terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from survey import db
from survey.admin.operations import OperationError
from survey.auth import operations
from survey.commands.round import fail
from survey.models import ROLES


@click.group(cls=AppGroup, help="Manage staff logins (admin, chief, researcher).")
def user() -> None:
    pass


@user.command(help="Create a login. The password is asked for (or read from --password).")
@click.argument("email")
@click.option("--role", type=click.Choice(ROLES), required=True,
              help="admin: rounds, recipients, mail; chief: results; researcher: results and "
                   "microdata.")
@click.password_option(help="At least 12 characters; asked for when not given.")
def add(email: str, role: str, password: str) -> None:
    try:
        operations.add_user(db.session(), email, role, password)
    except OperationError as problem:
        fail(problem)
    click.echo(f"Created {email} with the role {role}.")
