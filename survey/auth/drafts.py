"""A staff form posted after the login ran out keeps its text: the post is stored in the
server-side session, the admin logs in again (in staff wording), and the form's page shows the
text again to check and send. Respondents have their own drafts; this is for staff pages only.

Only posts from our own pages are kept (the Referer names this host; `Referrer-Policy:
same-origin` sends it to us and nobody else), so another site cannot plant a text in the form
an admin opens after logging in. Passwords are never kept, and files cannot be."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import flash, redirect, request, session, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict

#: Blueprints whose forms are kept (never the login's own form).
STAFF_BLUEPRINTS = ("admin", "results")
#: Fields never stored in the session.
_NEVER_KEPT = ("csrf_token", "password")
_KEY = "staff_draft"


def _form_page() -> str | None:
    """Where the form lives: the posted address when it has a page of its own, otherwise the
    page the post came from (a button on the round's page)."""
    if request.url_rule is not None and "GET" in request.url_rule.methods:
        return request.path
    referrer = urlsplit(request.referrer or "")
    return referrer.path if referrer.netloc == request.host and referrer.path else None


def keep_and_log_in_again(logged_in: bool):
    """The response to a staff post the session no longer accepts: keep the text, then the
    login (or, still logged in, the form's page again)."""
    page = _form_page()
    referrer = urlsplit(request.referrer or "")
    if page and referrer.netloc == request.host:
        session[_KEY] = {"path": page, "form": [
            (name, value) for name, value in request.form.items(multi=True)
            if name not in _NEVER_KEPT]}
    if logged_in:
        flash(_("The form had expired. What you wrote is filled in again: check it and "
                "send it again."))
        return redirect(page or url_for("auth.login"))
    flash(_("Your login has expired. Log in again: what you wrote is kept and filled in "
            "again for you to check and send."))
    return redirect(url_for("auth.login", next=page))


def carried_over() -> dict | None:
    """The kept text, to carry across the login's new session."""
    return session.get(_KEY)


def restore(draft: dict | None) -> None:
    if draft is not None:
        session[_KEY] = draft


def posted_before(path: str) -> MultiDict | None:
    """The kept text of the form on `path` (once), shown by a GET of its page."""
    draft = session.get(_KEY)
    if request.method != "GET" or draft is None or draft.get("path") != path:
        return None
    session.pop(_KEY)
    return MultiDict(draft["form"])
