"""The respondent's pages: from the personal link to a submitted, anonymous response."""

from flask import Blueprint

bp = Blueprint("respondent", __name__, template_folder="templates")

from survey.respondent import routes  # noqa: E402,F401  (registers the routes on bp)
