"""Results for the security chiefs and researchers: figures of a round, every one of them
through the disclosure plan (survey/results/published.py)."""

from flask import Blueprint

bp = Blueprint("results", __name__, url_prefix="/resultat", template_folder="templates")

# Importing the modules registers their routes on bp.
from survey.results import microdata, pages, routes  # noqa: E402,F401
