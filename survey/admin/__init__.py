"""The survey administrator's pages: rounds, recipients, mail, response rates, closing."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="templates")

from survey.admin import routes  # noqa: E402,F401  (registers the routes on bp)
