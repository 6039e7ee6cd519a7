"""One response as one tidy row, computed the same way for the app, the statistics and exports.

The row is the single place where "not asked", "skipped", derived indicators and 0/1
collapses are decided, so a share on a results page and the same share recomputed from the
exported microdata cannot disagree.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from questionnaires.model import (
    NOT_ASKED,
    SKIPPED,
    Answer,
    Answers,
    Questionnaire,
    QuestionType,
    Text,
    Variable,
)

YES_SUFFIX = "_ja"


class IndicatorKind(enum.StrEnum):
    OPTION = "option"  # one option of a multiple-choice question
    COLLAPSE = "collapse"  # <variable>_ja: the scale's yes_codes against its other answers
    DERIVED = "derived"  # a derived variable from the definition


@dataclass(frozen=True)
class Indicator:
    """A 0/1 column of the tidy row whose share the statistics report."""

    name: str
    label: Text
    kind: IndicatorKind
    #: the answer variable it comes from (``None`` for derived indicators).
    source: str | None = None


def row(questionnaire: Questionnaire, answers: Answers) -> dict[str, Answer | None]:
    """The full tidy row of one response.

    ``answers`` holds the stored answers plus the context variables (``group``,
    ``municipality``) the conditions read. Every answer variable maps to its answer,
    :data:`~questionnaires.model.NOT_ASKED` or :data:`~questionnaires.model.SKIPPED`; derived
    indicators and ``<variable>_ja`` collapses map to 1, 0 or ``None`` (no substantive answer,
    so the respondent is left out of the share rather than counted as "no").
    Answers to questions the respondent was not asked (left over after changing an earlier
    answer) are ignored everywhere, including in the derived indicators.

    A multiple-choice question the respondent was asked gives its options' 0/1 only when a
    substantive option is ticked. Ticking a non-substantive option ("Vill inte svara") or
    nothing at all leaves every substantive option :data:`~questionnaires.model.SKIPPED`:
    a refusal is no "not selected" (the non-substantive option keeps its 1, so the two stay
    apart). Refusal wins over contradictory ticks, which the form does not allow.
    """
    classified = _multiple_choice_answered(questionnaire, questionnaire.classify(answers))
    given = {
        name: value
        for name, value in classified.items()
        if not (isinstance(value, int) and value in (NOT_ASKED, SKIPPED))
    }
    result: dict[str, Answer | None] = dict(classified)
    for variable in questionnaire.variables:
        if variable.yes_codes:
            result[variable.name + YES_SUFFIX] = _collapse(variable, given.get(variable.name))
    result.update(questionnaire.derive(given))
    return result


def indicators(questionnaire: Questionnaire) -> tuple[Indicator, ...]:
    """The binary indicators in questionnaire order, derived ones last."""
    found: list[Indicator] = []
    for question in questionnaire.questions:
        if question.type is QuestionType.MULTIPLE:
            # One variable per option, in option order; "Vill inte svara" is no indicator.
            found += [
                Indicator(variable.name, variable.label, IndicatorKind.OPTION, variable.name)
                for option, variable in zip(question.options, question.variables, strict=True)
                if option.substantive
            ]
            continue
        for variable in question.variables:
            if variable.yes_codes:
                found.append(
                    Indicator(
                        variable.name + YES_SUFFIX,
                        collapse_label(variable),
                        IndicatorKind.COLLAPSE,
                        variable.name,
                    )
                )
    found += [Indicator(d.name, d.label, IndicatorKind.DERIVED) for d in questionnaire.derived]
    return tuple(found)


def _multiple_choice_answered(questionnaire: Questionnaire,
                              classified: dict[str, Answer]) -> dict[str, Answer]:
    """Substantive options of a refused or unanswered multiple-choice question -> SKIPPED."""
    for question in questionnaire.questions:
        if question.type is not QuestionType.MULTIPLE:
            continue
        options = list(zip(question.options, question.variables, strict=True))
        if all(classified[v.name] == NOT_ASKED for _, v in options):
            continue
        refused = any(classified[v.name] == 1 for o, v in options if not o.substantive)
        ticked = any(classified[v.name] == 1 for o, v in options if o.substantive)
        if refused or not ticked:
            for option, variable in options:
                if option.substantive and classified[variable.name] != NOT_ASKED:
                    classified[variable.name] = SKIPPED
    return classified


def collapse_label(variable: Variable) -> Text:
    yes = [o.label for o in variable.options if o.code in variable.yes_codes]
    return Text(
        f"{variable.label.sv} – {' / '.join(t.sv for t in yes)}",
        f"{variable.label.en} – {' / '.join(t.en for t in yes)}",
    )


def _collapse(variable: Variable, value: Answer | None) -> int | None:
    if not isinstance(value, int):
        return None
    option = variable.option(value)
    if option is None or not option.substantive:
        return None
    return 1 if value in variable.yes_codes else 0
