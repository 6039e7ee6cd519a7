"""How long the questionnaire takes, computed from the instrument itself.

The mail, the start page and anything else that promises a time read this one estimate, so
they can never say "15 minutes" and "5 minutes" about the same questionnaire. The estimate
is reading plus answering: every word a respondent reads (titles, intros, questions, help,
options, grid rows) at 180 words a minute (a careful reading speed for Swedish), and a few
seconds per answer given. Free text is optional and counted as one short answer. Two paths
bound it: the shortest (only the pages and questions shown to everyone) and the longest
(everything shown, every option offered).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from questionnaires.model import Page, Question, Questionnaire, QuestionType

WORDS_PER_MINUTE = 180
SECONDS_PER_ANSWER = 3
SECONDS_PER_FREE_TEXT = 60


@dataclass(frozen=True)
class Estimate:
    """Whole minutes, rounded up: ``shortest`` for someone shown only what everyone is
    shown, ``longest`` for someone shown every page and question."""

    shortest: int
    longest: int


def estimate(questionnaire: Questionnaire) -> Estimate:
    everyone = sum(
        _page_seconds(page, [q for q in page.questions if q.show_if is None])
        for page in questionnaire.pages
        if page.show_if is None
    )
    everything = sum(_page_seconds(page, list(page.questions)) for page in questionnaire.pages)
    intro = _words(questionnaire.intro.sv) if questionnaire.intro else 0
    reading = intro * 60 / WORDS_PER_MINUTE
    return Estimate(_minutes(everyone + reading), _minutes(everything + reading))


def _page_seconds(page: Page, questions: list[Question]) -> float:
    if not questions:
        return 0.0
    words = _words(page.title.sv) + (_words(page.intro.sv) if page.intro else 0)
    seconds = 0.0
    for question in questions:
        words += _words(question.text.sv) + (_words(question.help.sv) if question.help else 0)
        if question.type is QuestionType.TEXT:
            seconds += SECONDS_PER_FREE_TEXT
            continue
        words += sum(_words(o.label.sv) for o in question.options)
        words += sum(_words(i.label.sv) for i in question.items)
        seconds += SECONDS_PER_ANSWER * max(1, len(question.items))
    return seconds + words * 60 / WORDS_PER_MINUTE


def _words(text: str) -> int:
    return len(text.split())


def _minutes(seconds: float) -> int:
    return max(1, math.ceil(seconds / 60))
