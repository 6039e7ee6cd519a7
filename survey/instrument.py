"""The instrument of a round, rebuilt from the definition the round froze (never the file)."""

from __future__ import annotations

from functools import lru_cache

import questionnaires
from questionnaires.model import Answers, Page, Question, Questionnaire, group_code
from survey.models import Round


@lru_cache(maxsize=16)
def _parse(fingerprint: str, definition: str) -> Questionnaire:
    return questionnaires.from_canonical_json(definition)


def questionnaire_of(round_: Round) -> Questionnaire:
    """The round's questionnaire; parsed once per process and definition."""
    return _parse(round_.fingerprint, round_.definition)


def context(group: str) -> dict[str, int]:
    """The values conditions may read that come from the invitation, not from a question:
    the code of the respondent's group (see :func:`questionnaires.model.group_code`)."""
    code = group_code(group)
    return {} if code is None else {"group": code}


def prune(questionnaire: Questionnaire, answers: Answers, scope: Answers) -> dict:
    """Drop answers to questions this respondent is no longer asked (pages filtered away by
    a changed earlier answer) and choices of options no longer offered, repeating until
    nothing changes, since one dropped answer can hide further questions."""
    current = dict(answers)
    while True:
        visible = {**scope, **current}
        kept = {
            variable.name: current[variable.name]
            for page in questionnaire.pages
            if page.is_shown(visible)
            for question in page.questions
            for variable in question.variables
            if variable.name in current
            and variable.is_asked(visible)
            and variable.accepts(current[variable.name], visible)
        }
        if kept == current:
            return kept
        current = kept


def merge_page(
    questionnaire: Questionnaire, answers: Answers, page: Page, new: Answers, scope: Answers
) -> dict:
    """The answers after a page was sent: the page's old answers replaced by the new ones,
    then answers to questions no longer asked cleared."""
    on_page = {v.name for q in page.questions for v in q.variables}
    merged = {k: v for k, v in answers.items() if k not in on_page}
    merged.update(new)
    return prune(questionnaire, merged, scope)


def visible_questions(page: Page, answers: Answers) -> list[Question]:
    return [q for q in page.questions if any(v.is_asked(answers) for v in q.variables)]
