"""The `paverkan` console command: a Flask CLI group; each audience hangs its commands here.

Commands are imported only when invoked (or listed by ``--help``): ``paverkan stats`` needs
neither the web application nor the database, and the web commands do not need the
statistics stack (scipy), so no command pays for the others' imports.
"""

from __future__ import annotations

import importlib

import click
from flask.cli import FlaskGroup

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


class LazyFlaskGroup(FlaskGroup):
    """A :class:`~flask.cli.FlaskGroup` that imports a command's module when it is used."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *COMMANDS})

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        if name not in COMMANDS:
            # Flask's own commands, plugins' and the application's.
            return super().get_command(ctx, name)
        if name not in self.commands:
            module, attribute = COMMANDS[name].split(":")
            command = getattr(importlib.import_module(module), attribute)
            if name in DATABASE_COMMANDS:
                _require_current_schema(command)
            self.add_command(command, name)
        return self.commands[name]


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


cli = LazyFlaskGroup(create_app=create_app, add_default_commands=True, load_dotenv=False)


def main() -> None:
    cli(prog_name="paverkan")
