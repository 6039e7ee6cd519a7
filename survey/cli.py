"""The `paverkan` console command: a Flask CLI group; each audience hangs its commands here."""

from __future__ import annotations

from flask.cli import FlaskGroup

from survey.app import create_app
from survey.commands.db import db
from survey.commands.questionnaire import questionnaire
from survey.commands.stats import stats

cli = FlaskGroup(create_app=create_app, add_default_commands=True, load_dotenv=False)
cli.add_command(db)
cli.add_command(questionnaire)
cli.add_command(stats)


def main() -> None:
    cli(prog_name="paverkan")
