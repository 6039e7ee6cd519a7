"""Comparing the same variables across two rounds (years), only when they mean the same.

A round's responses all carry the fingerprint of the frozen questionnaire. Two rounds are
comparable variable by variable when the fingerprints match, or when the analyst declares
which variable of the earlier round is the same question as which of the later one (a
question renamed, or a new question added elsewhere in the instrument). Anything else is
refused with the variables that lack that assurance, because a share that moved because
the question changed would be reported as a change in exposure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from analysis.comparison import Difference, TwoByTwo, compare_shares
from analysis.data import SurveyData
from analysis.ordinal import RankSumTest, rank_sum_test
from questionnaires.diff import Change, diff
from questionnaires.model import Questionnaire

FINGERPRINT = "fingerprint"


class IncomparableRounds(ValueError):
    """Raised with ``differing``: the later round's variables that cannot be compared."""

    def __init__(self, differing: Sequence[str], reason: str,
                 changes: Sequence[Change] = ()) -> None:
        self.differing = tuple(differing)
        self.changes = tuple(changes)
        details = "".join(f"\n  {change}" for change in changes)
        super().__init__(f"{reason}: {', '.join(self.differing)}{details}")


@dataclass(frozen=True)
class RoundComparison:
    """One variable, later round (first) against earlier round (second)."""

    variable: str
    earlier_variable: str
    difference: Difference | RankSumTest


def fingerprint(data: SurveyData) -> str:
    """The one questionnaire fingerprint all responses of a round carry."""
    if FINGERPRINT not in data.responses.columns:
        raise IncomparableRounds([], "the responses carry no questionnaire fingerprint")
    found = sorted(set(data.responses[FINGERPRINT].dropna()))
    if len(found) != 1:
        raise IncomparableRounds(found, "a round must have one fingerprint, found")
    return found[0]


def compare_rounds(earlier: SurveyData, later: SurveyData, variables: Sequence[str],
                   mapping: Mapping[str, str] | None = None,
                   questionnaires: tuple[Questionnaire, Questionnaire] | None = None,
                   ) -> tuple[RoundComparison, ...]:
    """Later minus earlier for each of ``variables`` (named as in the later round).

    Binary items get :func:`analysis.comparison.compare_shares` (Newcombe interval,
    Fisher, Pearson), ordinal ones :func:`analysis.ordinal.rank_sum_test`. With different
    fingerprints every variable needs an entry in ``mapping`` (later name -> earlier
    name); the refusal names those that have none and, given both ``questionnaires``,
    lists the structural changes between them.

    Parameters
    ----------
    earlier, later : SurveyData
        The two rounds, each with a ``fingerprint`` column.
    variables : sequence of str
        Variables of the later round to compare.
    mapping : mapping of str to str, optional
        Later name -> earlier name, declaring them the same question.
    questionnaires : (Questionnaire, Questionnaire), optional
        The earlier and later instrument, to list their structural differences.

    Returns
    -------
    tuple of RoundComparison

    Raises
    ------
    IncomparableRounds
        Naming the variables without a matching fingerprint or declared mapping.
    """
    same = fingerprint(earlier) == fingerprint(later)
    declared = dict(mapping or {})
    if same:
        pairs = {v: declared.get(v, v) for v in variables}
    else:
        unmapped = [v for v in variables if v not in declared]
        if unmapped:
            changes = diff(*questionnaires).structure if questionnaires else ()
            raise IncomparableRounds(
                unmapped, "the rounds used different questionnaires (fingerprints differ) "
                "and no variable mapping says these are the same question", changes)
        pairs = {v: declared[v] for v in variables}
    missing = [v for v, old in pairs.items()
               if v not in later.responses.columns or old not in earlier.responses.columns]
    if missing:
        raise IncomparableRounds(missing, "not present in both rounds")
    results = []
    for variable, old in pairs.items():
        now = later.answered(variable)[variable].to_numpy(dtype=float)
        before = earlier.answered(old)[old].to_numpy(dtype=float)
        if variable in later.binary and old in earlier.binary:
            difference = compare_shares(TwoByTwo.from_values(now, before))
        elif variable in later.ordinal and old in earlier.ordinal:
            difference = rank_sum_test(now, before)
        else:
            raise IncomparableRounds([variable], "binary in one round and not the other")
        results.append(RoundComparison(variable, old, difference))
    return tuple(results)
