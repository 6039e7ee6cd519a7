"""The report workbook's words from the message catalogue, in the current language (the
caller sets it with ``force_locale``): ``exports`` has no catalogue of its own."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from flask_babel import gettext as _

from exports.report_texts import Headings, MethodTexts, ReportTexts, SheetNames
from exports.report_workbook import WITHHELD
from questionnaires import Change
from survey.models import Round
from survey.results.changes import describe
from survey.results.labels import indicator_labels


def report_texts(round_: Round, report: Mapping[str, Any], language: str) -> ReportTexts:
    """Every fixed text of ``round_``'s workbook, and the labels its items are shown by."""
    min_cell = report["publication"]["min_cell"]
    design = report["meta"]["weighted_default_design"]
    return ReportTexts(
        language=language,
        labels=indicator_labels(round_),
        sheets=SheetNames(
            summary=_("Summary"), response_rates=_("Response rate"),
            comparisons=_("Comparisons"), over_time=_("Over time"), method=_("Method")),
        headings=_headings(),
        method=MethodTexts(
            title=_("Method and definitions"),
            round=_("Round"),
            reference_year=_("Reference year"),
            extracted_on=_("Data extracted"),
            fingerprint=_("Questionnaire fingerprint (SHA-256)"),
            software_version=_("Software version"),
            responses=_("Number of responses"),
            min_cell=_("Smallest reported cell"),
            small_cells=_("Small cells"),
            small_cells_rule=_(
                "Figures for fewer than %(min_cell)s respondents are shown as %(mark)s, as are "
                "the figures that would otherwise let them be worked out.",
                min_cell=min_cell, mark=WITHHELD),
            confidence_level=_("Confidence level"),
            shares=_("Shares"),
            shares_rule=_("Of those who answered the question; whoever was not asked it is not "
                          "counted. Interval: Wilson."),
            weighting=_("Weighting"),
            weighting_rule=_(
                "Post-stratification by municipality and group to the numbers invited; "
                "standard errors by the design '%(design)s'.", design=design),
            tests=_("Tests"),
            tests_rule=_(
                "Fisher's exact test, Pearson's chi-square without continuity correction, "
                "Cochran–Mantel–Haenszel adjusted for group, logistic regression; Holm and "
                "Benjamini–Hochberg for many comparisons. Conventions as in R."),
            reference_municipality=_("Reference municipality"),
        ),
        everyone=_("all"),
        yes=_("yes"),
        no=_("no"),
        withheld_note=_(
            "%(mark)s = fewer than %(min_cell)s responses, or hidden so that so small a group "
            "cannot be worked out from other figures.", mark=WITHHELD, min_cell=min_cell),
        summary_note=_(
            "Share of those who answered the question, %(level)s %% confidence interval "
            "(Wilson). Weighted: post-stratified by municipality and group to those invited "
            "(Wald interval).", level=round(100 * report["meta"]["conf_level"])),
        comparison_notes=(
            _("Difference = municipality minus compared municipality, with Newcombe's "
              "interval."),
            _("Fisher's exact test and Pearson's chi-square test (without continuity "
              "correction)."),
            _("CMH: Cochran–Mantel–Haenszel test, adjusted for group (elected "
              "representative, employee)."),
            _("Adjustment for many comparisons: the family is all indicators × compared "
              "municipalities (Pearson's p); Holm and Benjamini–Hochberg."),
        ),
        response_rate_chart=_("Response rate by municipality and group"),
        left_out=_("Rounds left out of the comparison over time, and why"),
    )


def left_out_reason(still_open: bool, changes: Sequence[Change]) -> str:
    """Why an earlier round is not compared over time, for the workbook's note beside its
    title: still open (its figures are interim), a questionnaire of another structure (the
    changes named), or both."""
    reasons = []
    if still_open:
        reasons.append(_("Still open: its figures change as responses come in and are published "
                         "only once it has closed."))
    if changes:
        described = "; ".join(describe(change) for change in changes)
        reasons.append(_("Its questionnaire differs in structure, so a change in a share could "
                         "come from the question rather than from exposure. What changed: "
                         "%(changes)s.", changes=described))
    return " ".join(reasons)


def _headings() -> Headings:
    return Headings(
        indicator=_("Indicator"),
        question=_("Question"),
        municipality=_("Municipality"),
        group=_("Group"),
        responses=_("Number of responses"),
        share=_("Share"),
        lower=_("Lower 95 %"),
        upper=_("Upper 95 %"),
        weighted_share=_("Weighted share"),
        weighted_lower=_("Weighted lower 95 %"),
        weighted_upper=_("Weighted upper 95 %"),
        invited=_("Invited"),
        responded=_("Responses"),
        response_rate=_("Response rate"),
        compared_with=_("Compared with"),
        share_municipality=_("Share, municipality"),
        share_compared=_("Share, compared"),
        difference=_("Difference"),
        fisher_p=_("Fisher's exact p"),
        pearson_p=_("Pearson p"),
        cmh_p=_("CMH p (adjusted for group)"),
        holm_p=_("Holm-adjusted p (Pearson)"),
        bh_p=_("BH-adjusted p (Pearson)"),
        round=_("Round"),
        reference_year=_("Reference year"),
        definition=_("Definition"),
        interval_plus=_("Interval + (chart)"),
        interval_minus=_("Interval − (chart)"),
    )
