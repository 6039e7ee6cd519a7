"""Respondent routes: parse the request, call an operation, render.

The token appears only in ``/s/<token>``; its POST trades it for a new session sealed in the
cookie (survey/sessions.py) and every later address is token-free. A second submit (a double
click, a second tab) ends on the thanks page; every other repeat path after a submit (Back,
the link opened again) on the same "already submitted" page.
"""

from __future__ import annotations

from flask import redirect, request, session, url_for
from flask_babel import refresh

from questionnaires.model import Page
from survey import db, tokens
from survey.i18n import current_language
from survey.instrument import merge_page, minutes, questionnaire_of, visible_questions
from survey.respondent import bp, fragments, operations, support
from survey.respondent.access import (
    MARKER,
    SUBMITTED,
    TOKEN,
    Respondent,
    ended_page,
    link_page,
    render,
    respondent_required,
    session_ended,
    thanked,
)
from survey.respondent.forms import page_fill, page_form
from survey.respondent.operations import LinkState

#: Buttons of a question page that leave it: the page's answers are saved first.
SWITCH_LANGUAGE = {"lang-sv": "sv", "lang-en": "en"}
ACCESSIBILITY = "accessibility"
#: The draft's position when the respondent last stood on the review page.
REVIEW = "review"


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


@bp.get("/s/<path:token>")
def start(token: str):
    """The landing page of a link: says what the study is; consumes nothing."""
    database = db.executor()
    link = operations.look_up(database, token)
    if link.state is not LinkState.READY:
        return link_page(link)
    questionnaire = questionnaire_of(link.round)
    started = bool(link.draft.answers)
    return render(
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
        return link_page(link)
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
        return render(
            "respondent/page.html",
            kept=(id(current), tuple(q.id for q in questions), fill.options_key(), number,
                  len(visible), from_review, context["support_here"]),
            owner=current,
            built=lambda: {"form": page_form(current, questions, fill)},
            **context,
        )
    return render("respondent/page.html",
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
        return link_page(operations.look_up(db.executor(), respondent.token), held=True,
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
            return thanked(round_)
        link = operations.look_up(db.executor(), respondent.token)
        if link.state is LinkState.SUBMITTED:
            return thanked(link.round)
        return link_page(link, held=True, submitting=True)
    scope = respondent.scope
    round_ = respondent.invitation.round
    lang = current_language()

    def text(label):
        return label.render(lang, round_.reference_year)

    pages = [(p, _answered(visible_questions(p, scope), respondent.answers, text))
             for p in respondent.visible_pages()]
    return render(
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
        return ended_page(round_)
    return render("respondent/thanks.html", kept=(), round=round_)
