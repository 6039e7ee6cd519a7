"""Respondent routes: parse the request, call an operation, render.

The token appears only in ``/s/<token>``; its POST trades it for a new session sealed in the
cookie (survey/sessions.py) and every later address is token-free. A second submit (a double
click, a second tab) ends on the thanks page; every other repeat path after a submit (Back,
the link opened again) on the same "already submitted" page.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass

from flask import current_app, redirect, render_template, request, session, url_for
from flask_babel import refresh

from questionnaires.model import Page, Questionnaire
from survey import db, sessions, tokens
from survey.auth.decorators import current_user
from survey.contacts import open_rounds_with_contact
from survey.i18n import current_language
from survey.instrument import merge_page, minutes, questionnaire_of, visible_questions
from survey.respondent import bp, fragments, operations, support
from survey.respondent.forms import page_fill, page_form
from survey.respondent.operations import LinkedInvitation, LinkState

TOKEN = sessions.LINK_TOKEN
#: The link's pool marker, so that a request finds out whether it submitted in the same
#: statement that reads the link.
MARKER = sessions.POOL_MARKER
#: After a submit: the round's id, so that the thanks page can show its support text.
SUBMITTED = sessions.THANKED
#: Buttons of a question page that leave it: the page's answers are saved first.
SWITCH_LANGUAGE = {"lang-sv": "sv", "lang-en": "en"}
ACCESSIBILITY = "accessibility"
#: The draft's position when the respondent last stood on the review page.
REVIEW = "review"


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


@bp.before_request
def _without_transaction():
    """Showing a respondent's page and Start write nothing (their session is their cookie);
    a page sent writes its draft in one statement that checks the round itself
    (`operations.save_draft`). None of them needs a transaction; the submit does."""
    if request.method in ("GET", "HEAD") or request.endpoint in _ONE_STATEMENT_WRITES:
        db.without_transaction()


_ONE_STATEMENT_WRITES = ("respondent.begin", "respondent.page")


bp.add_app_template_global(support.custom_paragraphs, "support_text_in")
bp.add_app_template_global(support.default_paragraphs, "support_defaults")
bp.add_app_template_global(fragments.question_block, "blank_once")
bp.add_app_template_global(fragments.round_text, "round_text")


def _render(template: str, status: int = 200, *, kept: tuple | None = None, owner=None,
            built: Callable[[], dict] | None = None, **context):
    """``kept``: the page shows nothing of the respondent's and is the same for everyone with
    this key (and the round and language): rendered once per process, filled with this
    request's own values (fragments.shared_page), unless a staff member's menu is on it.
    ``owner``: the instrument object the key names by its id. ``built``: more of the context,
    built only if the page is rendered (a kept page's form is not)."""
    round_ = context.get("round")
    year = round_.reference_year if round_ is not None else None
    lang = current_language()

    def render(**slots) -> str:
        return render_template(template, t=lambda text: text.render(lang, year),
                               **context, **(built() if built else {}), **slots)

    if kept is not None and current_user() is None:
        return fragments.shared_page(owner, (template, *kept), round_, render), status
    return render(), status


def _link_page(link: operations.Link, held: bool = False, submitting: bool = False):
    """The page for a link that cannot start (unknown, closed, not yet open, submitted).

    A link `held` in the respondent's session worked when they began: if it is unknown now,
    the round closed and erased it (the closed page), or a corrected address retired it (the
    unknown link's page, as for the link itself). `submitting`: their answers arrived after
    the close."""
    if link.state is LinkState.UNKNOWN:
        return (held and ended_by_close()) or _render(
            "respondent/unknown_link.html", 404, contacts=open_rounds_with_contact())
    if link.state is LinkState.SUBMITTED:
        return _render("respondent/already_submitted.html", round=link.round)
    if link.state is LinkState.NOT_YET_OPEN:
        return _render("respondent/not_open.html", 403, round=link.round)
    return _render("respondent/closed.html", 403, round=link.round, submitting=submitting)


def respondent_required(view):
    """Only for a respondent whose session holds a link that can still be answered."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        if session.get(SUBMITTED):
            if closed := ended_by_close():
                return closed
            if _is_submit():
                return redirect(url_for("respondent.thanks"))
            return _render("respondent/already_submitted.html")
        token = session.get(TOKEN)
        if token is None:
            return session_ended()
        # Not held against the round's close, also for a POST: the write checks the round
        # again as it writes (`operations.save_draft`, `operations.submit`).
        link = operations.look_up(db.executor(), token, marker=session.get(MARKER))
        if link.state is LinkState.SUBMITTED and _is_submit():
            return _thanked(link.round)
        if link.state is not LinkState.READY:
            return _link_page(link, held=True, submitting=request.method == "POST")
        respondent = Respondent(
            token, link.invitation, questionnaire_of(link.round), link.draft.answers,
            link.draft.page,
        )
        return view(respondent, *args, **kwargs)

    return wrapper


def session_ended():
    """The page for a respondent whose session is gone (it expired, or cookies are blocked):
    their link tells them where they stand; or the close ended it (:func:`ended_by_close`)."""
    return ended_by_close() or _render("respondent/session_ended.html", 403)


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
    return _ended_page(round_)


def _ended_page(round_):
    """The closed page for a session the close ended; the cookie keeps only the round (so
    that the page stays), not the erased link."""
    session.restart(round_.id, keep=("lang", current_app.config["WTF_CSRF_FIELD_NAME"]))
    return _render("respondent/closed.html", 403, round=round_, ended=True)


_TOKEN_FREE = ("respondent.resume", "respondent.page", "respondent.review", "respondent.thanks")


def _is_submit() -> bool:
    """A press of "Send" on the review page (perhaps the second of a double click)."""
    return (request.method == "POST" and request.endpoint == "respondent.review"
            and request.form.get("action") == "submit")


def _thanked(round_):
    """The link's answers are in: the session that held the token ends, and a new one holds
    only "thanked" (ended with the round), the language and the CSRF token, so a resent form
    meets the thanks, not "the form has expired". The second press of a double click, sent
    with the old cookie, finds its link submitted and meets the thanks too."""
    session.restart(round_.id, keep=("lang", current_app.config["WTF_CSRF_FIELD_NAME"]))
    session[SUBMITTED] = round_.id
    return redirect(url_for("respondent.thanks"))


@bp.get("/s/<path:token>")
def start(token: str):
    """The landing page of a link: says what the study is; consumes nothing."""
    database = db.executor()
    link = operations.look_up(database, token)
    if link.state is not LinkState.READY:
        return _link_page(link)
    questionnaire = questionnaire_of(link.round)
    started = bool(link.draft.answers)
    return _render(
        "respondent/start.html",
        kept=(id(questionnaire), started),
        owner=questionnaire,
        round=link.round,
        questionnaire=questionnaire,
        minutes=minutes(link.round),
        started=started,
    )


@bp.post("/s/<path:token>")
def begin(token: str):
    """Trade the token for a new session and continue at a token-free address."""
    link = operations.look_up(db.executor(), token)
    if link.state is not LinkState.READY:
        return _link_page(link)
    session.restart(link.round.id, keep=("lang",))
    session[TOKEN] = token
    session[MARKER] = tokens.pool_marker(link.invitation)
    # Straight to where they left off, not through /svar: one request fewer per respondent.
    return _continue(Respondent(token, link.invitation, questionnaire_of(link.round),
                                link.draft.answers, link.draft.page))


@bp.get("/svar")
@respondent_required
def resume(respondent: Respondent):
    return _continue(respondent)


def _continue(respondent: Respondent):
    """To the page the respondent last stood on (the first for a new one), or the review."""
    if respondent.page == REVIEW or (respondent.page is None and respondent.answers):
        return redirect(url_for("respondent.review"))
    ids = [p.id for p in respondent.visible_pages()]
    page_id = respondent.page if respondent.page in ids else ids[0]
    return redirect(url_for("respondent.page", page_id=page_id))


@bp.route("/svar/sida/<page_id>", methods=["GET", "POST"])
@respondent_required
def page(respondent: Respondent, page_id: str):
    visible = respondent.visible_pages()
    current = next((p for p in visible if p.id == page_id), None)
    if current is None:
        return redirect(url_for("respondent.resume"))
    questions = visible_questions(current, respondent.scope)
    from_review = request.args.get("granska") == "1"
    fill = page_fill(questions, respondent.answers, respondent.scope)
    if request.method == "POST":
        action = request.form.get("action")
        if action in SWITCH_LANGUAGE:
            # Before the form parses the answers, so that its messages come in the new language.
            session["lang"] = SWITCH_LANGUAGE[action]
            refresh()
        form = page_form(current, questions, fill, formdata=request.form)
        if form.validate():
            return _save_page(respondent, visible, current, form, action, from_review)
    else:
        form = None
    number = visible.index(current) + 1
    context = dict(
        round=respondent.invitation.round,
        page=current,
        questions=questions,
        number=number,
        count=len(visible),
        first=number == 1,
        from_review=from_review,
        support_here=support.shown_after_exposure(
            respondent.questionnaire, current, visible, respondent.scope
        ),
    )
    if form is None and fill.blank:  # as every respondent meets it: kept, the form built once
        return _render(
            "respondent/page.html",
            kept=(id(current), tuple(q.id for q in questions), fill.options_key(), number,
                  len(visible), from_review, context["support_here"]),
            owner=current,
            built=lambda: {"form": page_form(current, questions, fill)},
            **context,
        )
    return _render("respondent/page.html",
                   form=form or page_form(current, questions, fill), **context)


def _save_page(respondent: Respondent, visible: tuple[Page, ...], current: Page, form,
               action: str | None, from_review: bool):
    """Store a page's valid answers and go where its button leads."""
    answers = merge_page(
        respondent.questionnaire,
        respondent.answers,
        current,
        form.answers(),
        operations.scope(respondent.invitation),
    )
    respondent.answers = answers
    staying = action in SWITCH_LANGUAGE or action == ACCESSIBILITY
    target = _neighbour(respondent.visible_pages(), current, action)
    if staying:
        target = current.id
    elif from_review and action != "back":
        target = _back_to_review(visible, respondent.visible_pages())
    if not operations.save_draft(
        db.executor(), respondent.token, respondent.invitation.round, answers, target
    ):  # the round closed after the look-up
        return _link_page(operations.look_up(db.executor(), respondent.token), held=True,
                          submitting=True)
    if action == ACCESSIBILITY:
        return redirect(url_for("site.accessibility"))
    if staying:
        return redirect(url_for("respondent.page", page_id=target,
                                **({"granska": 1} if from_review else {})))
    if target == REVIEW:
        return redirect(url_for("respondent.review"))
    return redirect(url_for("respondent.page", page_id=target))


def _back_to_review(before: tuple[Page, ...], after: tuple[Page, ...]) -> str:
    """After a change made from the review page: back to the review, unless the change
    opened pages the respondent has not seen; then the first of those."""
    seen = {p.id for p in before}
    new = [p.id for p in after if p.id not in seen]
    return new[0] if new else REVIEW


def _neighbour(visible: tuple[Page, ...], current: Page, action: str | None) -> str:
    """Where Next or Back leads, among the pages visible after this page's answers."""
    ids = [p.id for p in visible]
    position = ids.index(current.id)
    if action == "back":
        return ids[max(position - 1, 0)]
    return ids[position + 1] if position + 1 < len(ids) else REVIEW


@bp.route("/svar/granska", methods=["GET", "POST"])
@respondent_required
def review(respondent: Respondent):
    if request.method == "POST":  # its CSRF token was checked before any view (CSRFProtect)
        if request.form.get("action") == "back":
            return redirect(url_for("respondent.page", page_id=respondent.visible_pages()[-1].id))
        round_ = respondent.invitation.round  # a close right after the submit erases the invitation
        if operations.submit(db.session(), respondent.token, marker=session.get(MARKER)):
            return _thanked(round_)
        link = operations.look_up(db.executor(), respondent.token)
        if link.state is LinkState.SUBMITTED:
            return _thanked(link.round)
        return _link_page(link, held=True, submitting=True)
    scope = respondent.scope
    round_ = respondent.invitation.round
    lang = current_language()

    def text(label):
        return label.render(lang, round_.reference_year)

    pages = [(p, _answered(visible_questions(p, scope), respondent.answers, text))
             for p in respondent.visible_pages()]
    return _render(
        "respondent/review.html",
        round=respondent.invitation.round,
        pages=pages,
        answers=respondent.answers,
    )


def _answered(questions, answers: dict, text) -> list[tuple]:
    """The review of one page: (question, [(row label or None, answer)]) for the questions
    that have an answer; a grid names its stem once and each answered row. ``text`` renders
    a label in the respondent's language."""
    result = []
    for question in questions:
        rows = []
        if question.type == "multiple":
            picked = [text(o.label) for o in question.options
                      if answers.get(f"{question.id}_{o.code}") == 1]
            if picked:
                rows.append((None, ", ".join(picked)))
        for position, variable in enumerate(question.variables):
            if question.type == "multiple" or variable.name not in answers:
                continue
            value = answers[variable.name]
            option = variable.option(value) if variable.options else None
            label = text(question.items[position].label) if question.type == "grid" else None
            rows.append((label, text(option.label) if option else str(value)))
        if rows:
            result.append((question, rows))
    return result


@bp.get("/svar/tack")
def thanks():
    round_id = session.get(SUBMITTED)
    if not round_id:
        return redirect(url_for("respondent.resume"))
    round_ = operations.round_summary(db.executor(), round_id)
    if round_ is None:  # a cookie older than the database (a restored backup)
        return session_ended()
    if round_.state == "closed":
        return _ended_page(round_)
    return _render("respondent/thanks.html", kept=(), round=round_)
