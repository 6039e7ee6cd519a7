"""Respondent routes: parse the request, call an operation, render. No writes here."""

from survey.respondent import bp  # noqa: F401
