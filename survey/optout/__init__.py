"""The "Jag vill inte delta" link in every invitation: opting out stops the reminders."""

from flask import Blueprint

bp = Blueprint("optout", __name__, template_folder="templates")

from survey.optout import routes  # noqa: E402,F401  (registers the routes on bp)
