"""Pages for every audience: the accessibility statement and the error pages."""

from flask import Blueprint

bp = Blueprint("site", __name__, template_folder="templates")

from survey.site import routes  # noqa: E402,F401  (registers the routes on bp)
