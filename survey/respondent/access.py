"""Who the respondent of a request is, and the pages every respondent route may end on.

A respondent's session holds their link's token (and its pool marker) from Start on; a
route behind :func:`respondent_required` gets the :class:`Respondent` the token leads to, or
the visitor meets the page for a link that cannot go on (unknown, closed, not yet open,
submitted) or for a session that ended.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, redirect, render_template, request, session, url_for

from questionnaires.model import Page, Questionnaire
from survey import db, sessions
from survey.auth.decorators import current_user
from survey.contacts import open_rounds_with_contact
from survey.i18n import current_language
from survey.instrument import questionnaire_of
from survey.respondent import fragments, operations
from survey.respondent.operations import LinkedInvitation, LinkState

TOKEN = sessions.LINK_TOKEN
#: The link's pool marker, so that a request finds out whether it submitted in the same
#: statement that reads the link.
MARKER = sessions.POOL_MARKER
#: After a submit: the round's id, so that the thanks page can show its support text.
SUBMITTED = sessions.THANKED

@dataclass
class Respondent:
    """The respondent of this request, found through the token kept in the session."""

    token: str
    invitation: LinkedInvitation
    questionnaire: Questionnaire
    answers: dict
    page: str | None

    @property
    def scope(self) -> dict:
        return {**operations.scope(self.invitation), **self.answers}

    def visible_pages(self) -> tuple[Page, ...]:
        return self.questionnaire.visible_pages(self.scope)


def render(template: str, status: int = 200, *, kept: tuple | None = None, owner=None,
            built: Callable[[], dict] | None = None, **context):
    """``kept``: the page shows nothing of the respondent's and is the same for everyone with
    this key (and the round and language): rendered once per process, filled with this
    request's own values (fragments.shared_page), unless a staff member's menu is on it.
    ``owner``: the instrument object the key names by its id. ``built``: more of the context,
    built only if the page is rendered (a kept page's form is not)."""
    round_ = context.get("round")
    year = round_.reference_year if round_ is not None else None
    lang = current_language()

    def rendered(**slots) -> str:
        return render_template(template, t=lambda text: text.render(lang, year),
                               **context, **(built() if built else {}), **slots)

    if kept is not None and current_user() is None:
        return fragments.shared_page(owner, (template, *kept), round_, rendered), status
    return rendered(), status


def link_page(link: operations.Link, held: bool = False, submitting: bool = False):
    """The page for a link that cannot start (unknown, closed, not yet open, submitted).

    A link `held` in the respondent's session worked when they began: if it is unknown now,
    the round closed and erased it (the closed page), or a corrected address retired it (the
    unknown link's page, as for the link itself). `submitting`: their answers arrived after
    the close."""
    if link.state is LinkState.UNKNOWN:
        return (held and ended_by_close()) or render(
            "respondent/unknown_link.html", 404, contacts=open_rounds_with_contact())
    if link.state is LinkState.SUBMITTED:
        return render("respondent/already_submitted.html", round=link.round)
    if link.state is LinkState.NOT_YET_OPEN:
        return render("respondent/not_open.html", 403, round=link.round)
    return render("respondent/closed.html", 403, round=link.round, submitting=submitting)


def respondent_required(view):
    """Only for a respondent whose session holds a link that can still be answered."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if session.get(SUBMITTED):
            if closed := ended_by_close():
                return closed
            if _is_submit():
                return redirect(url_for("respondent.thanks"))
            return render("respondent/already_submitted.html")
        token = session.get(TOKEN)
        if token is None:
            return session_ended()
        # Not held against the round's close, also for a POST: the write checks the round
        # again as it writes (`operations.save_draft`, `operations.submit`).
        link = operations.look_up(db.executor(), token, marker=session.get(MARKER))
        if link.state is LinkState.SUBMITTED and _is_submit():
            return thanked(link.round)
        if link.state is not LinkState.READY:
            return link_page(link, held=True, submitting=request.method == "POST")
        respondent = Respondent(
            token, link.invitation, questionnaire_of(link.round), link.draft.answers,
            link.draft.page,
        )
        return view(respondent, *args, **kwargs)

    return wrapper


def session_ended():
    """The page for a respondent whose session is gone (it expired, or cookies are blocked):
    their link tells them where they stand; or the close ended it (:func:`ended_by_close`)."""
    return ended_by_close() or render("respondent/session_ended.html", 403)


def ended_by_close():
    """If the respondent's cookie names a round that has closed, the close ended their
    session (the link or the thanks it held): the closed page, saying that
    answers sent before it are in and the rest went with it (true whether they were thanked
    before the close or were still answering, which nothing left can tell apart). Else None.

    Only on the token-free pages: an address with a link in it (a start page, an opt-out)
    speaks for its own round, which may be another than an old cookie names."""
    if request.endpoint not in _TOKEN_FREE:
        return None
    round_id = session.round_id
    round_ = operations.round_summary(db.executor(), round_id) if round_id is not None else None
    if round_ is None or round_.state != "closed":
        return None
    return ended_page(round_)


def ended_page(round_):
    """The closed page for a session the close ended; the cookie keeps only the round (so
    that the page stays), not the erased link."""
    session.restart(round_.id, keep=("lang", current_app.config["WTF_CSRF_FIELD_NAME"]))
    return render("respondent/closed.html", 403, round=round_, ended=True)


_TOKEN_FREE = ("respondent.resume", "respondent.page", "respondent.review", "respondent.thanks")


def _is_submit() -> bool:
    """A press of "Send" on the review page (perhaps the second of a double click)."""
    return (request.method == "POST" and request.endpoint == "respondent.review"
            and request.form.get("action") == "submit")


def thanked(round_):
    """The link's answers are in: the session that held the token ends, and a new one holds
    only "thanked" (ended with the round), the language and the CSRF token, so a resent form
    meets the thanks, not "the form has expired". The second press of a double click, sent
    with the old cookie, finds its link submitted and meets the thanks too."""
    session.restart(round_.id, keep=("lang", current_app.config["WTF_CSRF_FIELD_NAME"]))
    session[SUBMITTED] = round_.id
    return redirect(url_for("respondent.thanks"))
