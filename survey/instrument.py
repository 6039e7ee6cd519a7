"""The instrument of a round, rebuilt from the definition the round froze (never the file)."""

from __future__ import annotations

import json
from dataclasses import dataclass

import questionnaires
from questionnaires.expressions import Evaluation
from questionnaires.loader import DEFAULT_MAX_LENGTH
from questionnaires.model import (
    Answers,
    Page,
    Question,
    Questionnaire,
    Variable,
    VariableKind,
    group_code,
)
from questionnaires.timing import estimate
from survey.forms import max_length
from survey.models import Invitation, Round

#: JSON (``ensure_ascii=False``, UTF-8) spends at most this many bytes on one character of a
#: string: a control character becomes ``\u0000``.
JSON_BYTES_PER_CHARACTER = 6
#: Room for a sealed record's keys, braces and separators beyond what :func:`sealed_size`
#: counts one by one.
ENVELOPE_BYTES = 256


@dataclass(frozen=True)
class Frozen:
    """What a round's frozen definition decides, computed once per process."""

    questionnaire: Questionnaire
    #: The one plaintext size every draft and pool entry of the round is padded to.
    sealed_size: int
    #: How many minutes the questionnaire takes ("6–10"): every start page gives it.
    minutes: str


#: Per process, keyed by round id and the fingerprint of its definition: a request reads
#: both with the round's row (never the definition itself), and a definition that changed
#: has another fingerprint, so an entry cannot go stale.
_FROZEN: dict[tuple[int | None, str], Frozen] = {}
_FROZEN_ROUNDS = 16


def frozen(round_: Round) -> Frozen:
    key = (round_.id, round_.fingerprint)
    entry = _FROZEN.get(key)
    if entry is None:
        questionnaire = questionnaires.from_canonical_json(round_.definition)
        entry = Frozen(questionnaire, _sealed_size(questionnaire), _minutes(questionnaire))
        while len(_FROZEN) >= _FROZEN_ROUNDS:
            del _FROZEN[next(iter(_FROZEN))]
        _FROZEN[key] = entry
    return entry


def questionnaire_of(round_: Round) -> Questionnaire:
    """The round's questionnaire; parsed once per process and definition."""
    return frozen(round_).questionnaire


def sealed_size(round_: Round) -> int:
    """The one plaintext size every draft and pool entry of a round is padded to.

    An upper bound of what the instrument lets a respondent write: every variable answered
    with its longest value (free text at its maximum length, escaped), the stratum's names
    at their column lengths and the longest page id. A draft or pool entry that held less
    would otherwise be as long as its answers, and so paired by its length with the same
    answers in clear after the flush (docs/anonymity.md).
    """
    return frozen(round_).sealed_size


def _sealed_size(questionnaire: Questionnaire) -> int:
    answers = sum(_json_string(len(v.name)) + 2 + _value_bytes(v) + 2
                  for p in questionnaire.pages for q in p.questions for v in q.variables)
    stratum = sum(_json_string(max_length(column))
                  for column in (Invitation.municipality, Invitation.group, Invitation.unit))
    page = _json_string(max(len(p.id) for p in questionnaire.pages))
    return ENVELOPE_BYTES + answers + stratum + page


def _json_string(characters: int) -> int:
    return JSON_BYTES_PER_CHARACTER * characters + 2


def _value_bytes(variable: Variable) -> int:
    if variable.kind is VariableKind.TEXT:
        return _json_string(variable.max_length or DEFAULT_MAX_LENGTH)
    codes = [len(str(o.code)) for o in variable.options]
    # A number field takes at most nine characters; an int is never longer than eleven.
    return max([11, *codes])


def encode(record: dict) -> bytes:
    """A draft's or pool entry's record as the bytes :func:`sealed_size` bounds."""
    return json.dumps(record, ensure_ascii=False).encode()


def minutes(round_: Round) -> str:
    """How many minutes the round's questionnaire takes ("6–10"), the one estimate the mails
    and the start page give (:mod:`questionnaires.timing`)."""
    return frozen(round_).minutes


def _minutes(questionnaire: Questionnaire) -> str:
    found = estimate(questionnaire)
    if found.shortest == found.longest:
        return str(found.shortest)
    return f"{found.shortest}–{found.longest}"


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
        asked = Evaluation({**scope, **current})
        kept = {
            variable.name: current[variable.name]
            for page in questionnaire.pages
            if asked.holds(page.show_if)
            for question in page.questions
            for variable in question.variables
            if variable.name in current
            and asked.holds(variable.asked_if)
            and variable.accepts(current[variable.name], asked.answers)
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
