"""The `paverkan` console command: a Flask CLI group; each audience hangs its commands here."""

from __future__ import annotations

from flask.cli import FlaskGroup

from survey.app import create_app
from survey.commands.db import db
from survey.commands.mail import mail
from survey.commands.questionnaire import questionnaire
from survey.commands.recipients import recipients
from survey.commands.round import round
from survey.commands.stats import stats
from survey.commands.user import user

cli = FlaskGroup(create_app=create_app, add_default_commands=True, load_dotenv=False)
cli.add_command(db)
cli.add_command(questionnaire)
cli.add_command(stats)
cli.add_command(user)
cli.add_command(round)
cli.add_command(recipients)
cli.add_command(mail)


def main() -> None:
    cli(prog_name="paverkan")
