"""The staff header: the pages a role may use, and where each role lands after login.

One list, in the order the header shows it. Whether a role may use a page is read from the
page's own role decorator (``required_roles``), so the header and the access check cannot
disagree: a chief never sees a link that answers 403, and never lands on one.
"""

from __future__ import annotations

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l
from werkzeug.exceptions import HTTPException

from survey.models import User

#: (endpoint, label) of every page the staff header may show, in header order. The first one
#: a role may use is where it lands after login.
STAFF_PAGES = (
    ("admin.index", _l("Rounds")),
    ("results.overview", _l("Results")),
    ("results.microdata", _l("Microdata")),
    ("admin.export_log", _l("Export log")),
    ("admin.staff", _l("Staff accounts")),
    ("auth.password", _l("Change password")),
)


def allowed(user: User, endpoint: str) -> bool:
    view = current_app.view_functions.get(endpoint)
    roles = getattr(view, "required_roles", None)
    return view is not None and (roles is None or user.role in roles)


def pages_for(user: User) -> list[tuple[str, str, str]]:
    """(endpoint, url, label) of the header's pages this user may open."""
    return [(endpoint, url_for(endpoint), str(label)) for endpoint, label in STAFF_PAGES
            if allowed(user, endpoint)]


def landing(user: User) -> str:
    """The first page of the header that the user's role may use."""
    return pages_for(user)[0][1]


def may_open(user: User, path: str) -> bool:
    """Whether a local path leads to a page the user's role may use (an unknown path: no)."""
    adapter = current_app.url_map.bind("localhost")
    try:
        endpoint, _ = adapter.match(path.partition("?")[0], method="GET")
    except HTTPException:
        return False
    return allowed(user, endpoint)
