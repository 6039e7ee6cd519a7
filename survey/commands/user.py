"""`paverkan user add|password|deactivate|activate|list`: staff accounts from the terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import select

from survey import db
from survey.admin.operations import OperationError
from survey.auth import operations
from survey.commands.round import fail
from survey.models import ROLES, User


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


def _user(email: str):
    found = operations.find_user(db.session(), email)
    if found is None:
        raise click.ClickException(f"No account for {email}.")
    return found


@user.command(help="Set a new password (e.g. a forgotten one); ends the user's sessions.")
@click.argument("email")
@click.password_option(help="At least 12 characters; asked for when not given.")
def password(email: str, password: str) -> None:
    try:
        operations.set_password(db.session(), _user(email), password)
    except OperationError as problem:
        fail(problem)
    click.echo(f"The password of {email} is changed.")


@user.command(help="Stop an account from logging in (e.g. someone who left).")
@click.argument("email")
def deactivate(email: str) -> None:
    operations.set_active(db.session(), _user(email), False)
    click.echo(f"{email} can no longer log in.")


@user.command(help="Let a deactivated account log in again.")
@click.argument("email")
def activate(email: str) -> None:
    operations.set_active(db.session(), _user(email), True)
    click.echo(f"{email} can log in again.")


@user.command("list", help="Every account with its role and whether it is active.")
def list_() -> None:
    for account in db.session().scalars(select(User).order_by(User.email)):
        state = "active" if account.active else "deactivated"
        click.echo(f"{account.email}\t{account.role}\t{state}")
