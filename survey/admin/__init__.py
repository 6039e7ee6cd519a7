"""The survey administrator's pages: rounds, recipients, mail, response rates, closing."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

# Importing the modules registers their routes on bp.
from survey.admin import export_log, job_pages, routes, staff  # noqa: E402,F401
