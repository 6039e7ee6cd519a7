"""The Flask application: respondent flow, administration, results, login, mail, CLI."""

from survey.app import create_app

__all__ = ["create_app"]
