"""The `paverkan` console command: a Flask CLI group; each audience hangs its commands here.

Commands are imported only when invoked (or listed by ``--help``): ``paverkan stats`` needs
neither the web application nor the database, and the web commands do not need the
statistics stack, so no command pays for the others' imports. Flask's group itself is
built only for commands that may need the application: ``paverkan stats`` runs without
importing Flask (a tenth of a second of every statistics run).
"""

from __future__ import annotations

import functools
import importlib
import sys
from collections.abc import Sequence
from typing import Any

import click

#: Command name -> ``module:attribute`` of its click command, imported on first use.
COMMANDS = {
    "db": "survey.commands.db:db",
    "questionnaire": "survey.commands.questionnaire:questionnaire",
    "stats": "survey.commands.stats:stats",
    "user": "survey.commands.user:user",
    "round": "survey.commands.round:round",
    "recipients": "survey.commands.recipients:recipients",
    "mail": "survey.commands.mail:mail",
    "export": "survey.commands.export:export",
    "jobs": "survey.commands.jobs:jobs",
}
#: Commands that read or write the database: they need its schema to be current.
DATABASE_COMMANDS = {"user", "round", "recipients", "mail", "export"}
#: Commands that need neither the application nor Flask's options (``--app``, ``--debug``).
WITHOUT_APPLICATION = {"stats"}


class Paverkan(click.Group):
    """The `paverkan` group: a command of :data:`WITHOUT_APPLICATION` given first runs in
    this plain click group; everything else (``--help``, Flask's options and commands, a
    test runner's application) goes to Flask's group, built on first need."""

    def main(self, args: Sequence[str] | None = None, prog_name: str | None = None,
             **extra: Any) -> Any:
        arguments = sys.argv[1:] if args is None else list(args)
        if arguments[:1] and arguments[0] in WITHOUT_APPLICATION and "obj" not in extra:
            return super().main(arguments, prog_name, **extra)
        return _flask_group().main(arguments, prog_name, **extra)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(WITHOUT_APPLICATION)

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        return _command(name) if name in WITHOUT_APPLICATION else None


@functools.cache
def _command(name: str) -> click.Command:
    """The command ``name`` of :data:`COMMANDS`, its module imported on first use."""
    module, attribute = COMMANDS[name].split(":")
    command = getattr(importlib.import_module(module), attribute)
    if name in DATABASE_COMMANDS:
        _require_current_schema(command)
    return command


@functools.cache
def _flask_group() -> click.Group:
    """Flask's group with our commands, each imported when it is used."""
    from flask.cli import FlaskGroup

    class LazyFlaskGroup(FlaskGroup):
        def list_commands(self, ctx: click.Context) -> list[str]:
            return sorted({*super().list_commands(ctx), *COMMANDS})

        def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
            if name not in COMMANDS:
                # Flask's own commands, plugins' and the application's.
                return super().get_command(ctx, name)
            return _command(name)

    return LazyFlaskGroup(create_app=create_app, add_default_commands=True, load_dotenv=False)


def _require_current_schema(command: click.Command) -> None:
    """Before the command runs (after ``--help`` has had its say): a database that is
    missing tables or behind the migrations ends it with the command to run, not with a
    traceback about a missing table."""
    invoke = command.invoke

    def checked(ctx: click.Context):
        from flask.cli import ScriptInfo

        from survey.migrate import schema_ready

        app = ctx.ensure_object(ScriptInfo).load_app()
        if not schema_ready(app):
            raise click.ClickException(
                "The database is not set up or not up to date: run `paverkan db upgrade`."
            )
        return invoke(ctx)

    command.invoke = checked


def create_app():
    """The application, imported only by commands that run inside it. A setting it cannot
    use ends the command with one line naming it (Flask prints NoAppException without a
    traceback, also for ``--help``)."""
    from flask.cli import NoAppException

    from survey.app import create_app as create
    from survey.config import ConfigError

    try:
        return create()
    except ConfigError as error:
        raise NoAppException(str(error)) from None


cli = Paverkan()


def main() -> None:
    cli(prog_name="paverkan")
