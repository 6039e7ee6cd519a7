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
"""

from __future__ import annotations

from collections.abc import Callable

from flask import render_template
from markupsafe import Markup

from questionnaires.model import Question
from survey.i18n import current_language
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
#: Not part of any text, and not to be kept beyond the request: the key its links derive from.
_UNSHOWN = frozenset({"link_salt"})


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
    fields = tuple(sorted((name, tuple(value) if isinstance(value, list) else value)
                          for name, value in vars(round_).items() if name not in _UNSHOWN))
    key = (template, fields, current_language())
    text = _ROUND_TEXTS.get(key)
    if text is None:
        text = _keep(_ROUND_TEXTS, key, Markup(render_template(template, round=round_, **context)))
    return text


def _keep(kept: dict, key: tuple, value):
    while len(kept) >= KEPT_BLOCKS:
        del kept[next(iter(kept))]
    kept[key] = value
    return value
