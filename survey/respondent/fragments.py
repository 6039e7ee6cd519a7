"""What respondents' pages share, rendered once per process: a question as a respondent
first sees it, and a round's texts about itself.

Rendering a question's controls (a label, an id and a few translated texts per option; a grid
has dozens) is most of a question page's cost, and a respondent walking forward meets every
page blank: no answer, no error. A blank block depends only on the question, the options this
respondent is offered (conditions on earlier answers hide some), the language and the
reference year its texts are rendered for, so it is kept under those.

Only blank blocks are kept: a page showing an answer or an error is rendered as it is, so
nothing a respondent chose or wrote stays in a worker's memory beyond their request.

A round's texts (what the study is, whom to contact, where to turn for support) are the same
for all its respondents in one language; they are kept under every field of the round a
template could read, so an edited contact or support text is shown at once.

Whole pages that show nothing of a respondent's (a question page before it is answered, the
start page, the thanks) are kept the same way, with a slot where each request's own values go:
its CSRF token and the address of the page in the other language (a start page's holds the
link's token, which is never kept).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import current_app, render_template
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup, escape

from questionnaires.model import Question
from survey.i18n import current_language, language_url
from survey.respondent.forms import PageForm

#: Enough for every question and text of a few rounds in both languages; beyond it the
#: oldest goes.
KEPT_BLOCKS = 2048
#: A block by (question's id() in this process, its fields' offered options, language,
#: year); the entry holds the question, so that an id reused by a new object (a round's
#: definition parsed anew) cannot find another question's block.
_BLOCKS: dict[tuple, tuple[Question, Markup]] = {}
#: A round's text by (template, the round's fields, language).
_ROUND_TEXTS: dict[tuple, Markup] = {}
#: A page by (its key, the round's fields, language); the entry holds the key's owner (a page
#: or questionnaire of the instrument parsed in this process), as a block holds its question.
_PAGES: dict[tuple, tuple[object, str]] = {}
#: Not part of any text, and not to be kept beyond the request: the key its links derive from.
_UNSHOWN = frozenset({"link_salt"})
#: Stand for a request's own values in a kept page; random, so no text can contain them.
_TOKEN_SLOT = secrets.token_hex(16)
_LANGUAGE_SLOT = secrets.token_hex(16)


def question_block(render: Callable[[Question, PageForm], Markup], question: Question,
                   form: PageForm, year: int | None) -> Markup:
    """``render(question, form)``, kept for the next respondent when the question is blank."""
    fields = form.fields_of(question)
    if not all(field.blank for field in fields):
        return render(question, form)
    key = (id(question), tuple(tuple(option.code for option in field.options)
                               for field in fields), current_language(), year)
    entry = _BLOCKS.get(key)
    if entry is None or entry[0] is not question:
        entry = _keep(_BLOCKS, key, (question, render(question, form)))
    return entry[1]


def round_text(template: str, round_, **context) -> Markup:
    """``template`` rendered for ``round_`` and ``context``, which must follow from the round
    (its questionnaire, its time estimate) and the language."""
    key = (template, _fields(round_), current_language())
    text = _ROUND_TEXTS.get(key)
    if text is None:
        text = _keep(_ROUND_TEXTS, key, Markup(render_template(template, round=round_, **context)))
    return text


def shared_page(owner: object, key: tuple, round_, render: Callable[..., str]) -> str:
    """``render(**slots)``, a page that is the same for everyone with ``key`` in ``round_``
    and language, kept with slots where this request's CSRF token and language switch go
    (``slots`` replace the templates' ``csrf_token`` and ``language_url``), then filled."""
    key = (key, _fields(round_) if round_ is not None else None, current_language())
    entry = _PAGES.get(key)
    if entry is None or entry[0] is not owner:
        slots = {"csrf_token": lambda: _TOKEN_SLOT,
                 "language_url": lambda lang: _LANGUAGE_SLOT + lang}
        entry = _keep(_PAGES, key, (owner, render(**slots)))
    page = entry[1]
    if _TOKEN_SLOT in page:
        page = page.replace(_TOKEN_SLOT, generate_csrf())
    for lang in current_app.config["LANGUAGES"]:
        if _LANGUAGE_SLOT + lang in page:
            page = page.replace(_LANGUAGE_SLOT + lang, str(escape(language_url(lang))))
    return page


def _fields(round_) -> tuple:
    """Every field of the round a template could show."""
    return tuple(sorted((name, tuple(value) if isinstance(value, list) else value)
                        for name, value in vars(round_).items() if name not in _UNSHOWN))


def _keep(kept: dict, key: tuple, value):
    while len(kept) >= KEPT_BLOCKS:
        del kept[next(iter(kept))]
    kept[key] = value
    return value
