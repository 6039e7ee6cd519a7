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
}


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
            self.add_command(getattr(importlib.import_module(module), attribute), name)
        return self.commands[name]


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
