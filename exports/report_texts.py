"""The words of the report workbook in the reader's language.

``exports`` has no message catalogue (it sits below ``survey``, which holds them): the caller
translates every fixed text and hands them over here, with the language whose labels the
questionnaire's items, options and pages are shown in. Texts that name a count or a method
arrive already filled in.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class SheetNames:
    summary: str
    response_rates: str
    comparisons: str
    over_time: str
    method: str


@dataclass(frozen=True)
class Headings:
    """Column headings; ``responses`` is the number answering a question, ``responded``
    the number who responded to the survey."""

    indicator: str
    question: str
    municipality: str
    group: str
    responses: str
    share: str
    lower: str
    upper: str
    weighted_share: str
    weighted_lower: str
    weighted_upper: str
    invited: str
    responded: str
    response_rate: str
    compared_with: str
    share_municipality: str
    share_compared: str
    difference: str
    fisher_p: str
    pearson_p: str
    cmh_p: str
    holm_p: str
    bh_p: str
    round: str
    reference_year: str
    definition: str
    interval_plus: str
    interval_minus: str


@dataclass(frozen=True)
class MethodTexts:
    """The "Metod" sheet: its title, the names of its facts and the explanations."""

    title: str
    round: str
    reference_year: str
    extracted_on: str
    fingerprint: str
    software_version: str
    responses: str
    min_cell: str
    small_cells: str
    small_cells_rule: str
    confidence_level: str
    shares: str
    shares_rule: str
    weighting: str
    weighting_rule: str
    tests: str
    tests_rule: str
    reference_municipality: str


@dataclass(frozen=True)
class ReportTexts:
    #: "sv" or "en": which of the questionnaire's labels (items, options, pages) are shown
    language: str
    #: every reported item's label, the headline ones shortened, ``{year}`` filled in
    labels: Mapping[str, str]
    sheets: SheetNames
    headings: Headings
    method: MethodTexts
    #: the municipality or group column of a row over all of them ("alla")
    everyone: str
    yes: str
    no: str
    #: under every table with figures: what "–" means
    withheld_note: str
    #: under the summary: what a share and its intervals are
    summary_note: str
    #: under the comparisons: the tests, one line each
    comparison_notes: Sequence[str]
    #: the title of the response-rate chart
    response_rate_chart: str
    #: over the over-time sheet's note naming the earlier rounds not compared
    left_out: str
