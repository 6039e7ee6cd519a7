"""A question as a respondent first sees it, rendered once per process.

Rendering a question's controls (a label, an id and a few translated texts per option; a grid
has dozens) is most of a question page's cost, and a respondent walking forward meets every
page blank: no answer, no error. A blank block depends only on the question, the options this
respondent is offered (conditions on earlier answers hide some), the language and the
reference year its texts are rendered for, so it is kept under those.

Only blank blocks are kept: a page showing an answer or an error is rendered as it is, so
nothing a respondent chose or wrote stays in a worker's memory beyond their request.
"""

from __future__ import annotations

from collections.abc import Callable

from markupsafe import Markup

from questionnaires.model import Question
from survey.i18n import current_language
from survey.respondent.forms import PageForm

#: Enough for every question of a few rounds in both languages; beyond it the oldest goes.
KEPT_BLOCKS = 2048
#: A block by (question's id() in this process, its fields' offered options, language,
#: year); the entry holds the question, so that an id reused by a new object (a round's
#: definition parsed anew) cannot find another question's block.
_BLOCKS: dict[tuple, tuple[Question, Markup]] = {}


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
        while len(_BLOCKS) >= KEPT_BLOCKS:
            del _BLOCKS[next(iter(_BLOCKS))]
        entry = _BLOCKS[key] = (question, render(question, form))
    return entry[1]
