"""Login for the people who run the study: administrators, security chiefs, researchers."""

from flask import Blueprint

bp = Blueprint("auth", __name__, template_folder="templates")

from survey.auth import routes  # noqa: E402,F401  (registers the routes on bp)
from survey.auth.decorators import current_user, role_required  # noqa: E402

__all__ = ["bp", "current_user", "role_required"]
