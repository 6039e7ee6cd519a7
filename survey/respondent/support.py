"""Where a respondent can turn for support, and when the pages show it.

Someone who has just reported death threats should not meet a bare thank-you. The start and
thanks pages always show the round's support text; a question page shows it right after the
pages that decide whether someone was exposed (the variables the derived indicators read),
to those for whom an indicator holds. The text is the round's own, or a default naming the
round's contact, Brottsofferjouren and 112. Nothing here is stored with a response.
"""

from __future__ import annotations

from flask_babel import gettext as _

from questionnaires.model import Answers, Page, Questionnaire
from survey.models import Round


def custom_paragraphs(round_: Round, lang: str) -> list[str]:
    """The round's own support text in ``lang`` as paragraphs; empty for the default."""
    text = (round_.support_en if lang == "en" else round_.support_sv) or ""
    return [p.strip() for p in text.replace("\r\n", "\n").split("\n\n") if p.strip()]


def default_paragraphs() -> list[str]:
    """The default text after the contact sentence (which the template renders with links)."""
    return [
        _("Brottsofferjouren (Victim Support Sweden) supports anyone who has been subjected "
          "to a crime, also anonymously: call 116 006 or visit brottsofferjouren.se."),
        _("If you are in danger now, call 112."),
    ]


def _exposure_pages(questionnaire: Questionnaire) -> tuple[int | None, dict[str, int]]:
    """The position of the last page holding a variable a derived indicator reads, and every
    page's position; once per questionnaire parsed in this process (a question page asks on
    every view)."""
    entry = _POSITIONS.get(id(questionnaire))
    if entry is None or entry[0] is not questionnaire:
        used = set().union(*(d.expression.variables for d in questionnaire.derived))
        deciding = max((index for index, page in enumerate(questionnaire.pages)
                        if any(v.name in used for q in page.questions for v in q.variables)),
                       default=None)
        order = {page.id: index for index, page in enumerate(questionnaire.pages)}
        if len(_POSITIONS) >= 64:
            _POSITIONS.clear()
        entry = _POSITIONS[id(questionnaire)] = (questionnaire, deciding, order)
    return entry[1], entry[2]


#: By the questionnaire's id(); the entry holds it, so that a reused id finds nothing.
_POSITIONS: dict[int, tuple[Questionnaire, int | None, dict[str, int]]] = {}


def shown_after_exposure(
    questionnaire: Questionnaire, page: Page, visible: tuple[Page, ...], answers: Answers
) -> bool:
    """Whether ``page`` is the first page after the exposure pages for someone who reported
    something (any derived indicator is 1)."""
    deciding, order = _exposure_pages(questionnaire)
    if deciding is None:
        return False
    following = next((p for p in visible if order[p.id] > deciding), None)
    if following is None or following.id != page.id:
        return False
    return any(value == 1 for value in questionnaire.derive(answers).values())
