"""Results for the security chiefs and researchers: figures of a round, every one of them
through the disclosure plan (survey/results/published.py)."""

from flask import Blueprint

bp = Blueprint("results", __name__, url_prefix="/resultat", template_folder="templates")

from survey.results import routes  # noqa: E402,F401  (registers the routes on bp)
