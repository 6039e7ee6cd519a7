"""The statistics as the people who read them rely on them (beyond the R reference)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest

import questionnaires
from analysis import data as tidy_data
from analysis.comparison import TwoByTwo, compare_shares, mantel_haenszel
from analysis.logistic import logistic_regression
from analysis.proportions import share, wilson_interval
from analysis.rounds import IncomparableRounds, compare_rounds
from analysis.weights import response_rates, weighted_shares
from questionnaires.model import NOT_ASKED, SKIPPED
from survey.commands.stats import stats

INVITED = pd.DataFrame({"municipality": ["Linköping", "Linköping", "Norrköping", "Norrköping"],
                        "group": ["förtroendevald", "medarbetare"] * 2,
                        "invited": [40, 60, 40, 60]})


def tidy(values: list[float], **columns: list) -> tidy_data.SurveyData:
    n = len(values)
    frame = pd.DataFrame({
        "municipality": columns.get("municipality", ["Linköping", "Norrköping"] * (n // 2)),
        "group": columns.get("group", ["förtroendevald"] * (n // 2) + ["medarbetare"] * (n // 2)),
        "gender": columns.get("gender", ["kvinna", "kvinna", "man", "man"] * (n // 4)),
        "q": values,
    })
    return tidy_data.from_frame(frame, INVITED)


def test_a_filtered_respondent_is_outside_the_share_not_a_missing_answer() -> None:
    """Not asked (-1) leaves the universe; skipped (-2) and empty are missing answers."""
    data = tidy([1, 0, NOT_ASKED, NOT_ASKED, SKIPPED, np.nan, 1, 1])
    assert data.binary == ("q",)
    assert data.n_missing("q") == 2
    assert len(data.universe("q")) == 6
    result = share(data.answered("q")["q"].to_numpy())
    assert (result.n, result.yes) == (4, 3)


def test_nobody_answering_yes_gives_a_lower_limit_of_exactly_zero() -> None:
    """The Wilson interval at 0 of n starts at 0 exactly and stays inside [0, 1]."""
    assert wilson_interval(0, 17)[0] == 0.0
    assert wilson_interval(17, 17)[1] == 1.0
    lower, upper = wilson_interval(3, 10)
    assert 0 < lower < 0.3 < upper < 1


def test_a_chief_comparing_threats_sees_the_difference_with_the_exact_test() -> None:
    """Difference is first minus second; the odds ratio is the conditional MLE, not a/b/(c/d)."""
    result = compare_shares(TwoByTwo(148, 527, 91, 438))
    assert result.difference == pytest.approx(148 / 675 - 91 / 529)
    assert result.newcombe_lower < result.difference < result.newcombe_upper
    assert result.fisher_or_conditional_mle != pytest.approx(result.sample_or, rel=1e-6)
    assert result.chisq_p < result.chisq_yates_p


def test_an_empty_comparison_reports_no_share_instead_of_failing() -> None:
    """A group nobody answered in gives no share or interval, and no Pearson test."""
    result = compare_shares(TwoByTwo(0, 0, 3, 9))
    assert result.share_first is None and result.newcombe_lower is None
    assert result.chisq_p is None


def test_the_continuity_correction_is_skipped_when_the_deviation_is_under_a_half() -> None:
    """R's rule: |sum(O - E)| < 0.5 means no correction, so both p-values agree."""
    tables = {"a": TwoByTwo(5, 5, 5, 5), "b": TwoByTwo(6, 4, 6, 4)}
    result = mantel_haenszel(tables)
    assert result.p_value == result.p_value_continuity_corrected == pytest.approx(1.0)


def test_a_category_without_events_is_reported_as_separation_not_as_a_coefficient() -> None:
    """Nobody in 'annat' said yes: its coefficient is withheld, the others stay."""
    rng = np.random.default_rng(3)
    n = 400
    frame = pd.DataFrame({
        "municipality": rng.choice(["Linköping", "Norrköping"], n),
        "group": rng.choice(["förtroendevald", "medarbetare"], n),
        "gender": rng.choice(["kvinna", "man"], n),
        "q": rng.integers(0, 2, n).astype(float),
    })
    frame.loc[:5, "gender"] = "annat"
    frame.loc[:5, "q"] = 0.0
    levels = {"municipality": ("Linköping", "Norrköping"),
              "group": ("förtroendevald", "medarbetare"), "gender": ("kvinna", "man", "annat")}
    fit = logistic_regression(frame, "q", levels)
    assert fit.separation_suspected
    assert fit.levels_with_zero_events_or_nonevents == (("gender", "annat"),)
    by_term = {c.term: c for c in fit.coefficients}
    assert by_term["genderannat"].separated and by_term["genderannat"].estimate is None
    assert by_term["municipalityNorrköping"].std_error < 1


def test_a_round_on_a_changed_questionnaire_is_refused_naming_the_variables() -> None:
    """Different fingerprints and no mapping: the refusal names what cannot be compared."""
    earlier = tidy([1, 0, 1, 0, 0, 0, 1, 1])
    later = tidy([1, 1, 1, 0, 1, 0, 1, 1])
    earlier.responses["fingerprint"] = "aaa"
    later.responses["fingerprint"] = "bbb"
    with pytest.raises(IncomparableRounds) as refused:
        compare_rounds(earlier, later, ["q"])
    assert refused.value.differing == ("q",)
    assert "q" in str(refused.value)
    result = compare_rounds(earlier, later, ["q"], mapping={"q": "q"})
    assert result[0].difference.difference == pytest.approx(0.75 - 0.5)


def test_rounds_on_the_same_questionnaire_compare_without_a_mapping() -> None:
    """Same fingerprint: later minus earlier, with the usual interval and tests."""
    earlier = tidy([1, 0, 1, 0, 0, 0, 1, 1])
    later = tidy([1, 1, 1, 0, 1, 0, 1, 1])
    for data in (earlier, later):
        data.responses["fingerprint"] = "same"
    (result,) = compare_rounds(earlier, later, ["q"])
    assert result.earlier_variable == "q"
    assert result.difference.table == TwoByTwo(6, 2, 4, 4)


def test_with_the_questionnaire_the_statistics_use_its_indicators(tmp_path: Path) -> None:
    """Frequency items become their "Ja" collapse, derived indicators are computed, and a
    refusal (99) is missing rather than "no"."""
    rng = np.random.default_rng(7)
    n = 80
    frame = pd.DataFrame({
        "municipality": ["Linköping", "Norrköping"] * (n // 2),
        "group": ["förtroendevald"] * (n // 2) + ["medarbetare"] * (n // 2),
        "gender": ["kvinna", "man"] * (n // 2),
        **{f"b{i}": rng.choice([0, 0, 1, 2, 3, 99], n) for i in range(1, 12)},
    })
    responses = tmp_path / "responses.csv"
    frame.to_csv(responses, index=False)
    invited = tmp_path / "invited.csv"
    INVITED.to_csv(invited, index=False)
    out = tmp_path / "stats.json"
    result = CliRunner().invoke(stats, ["--responses", str(responses), "--invited",
                                        str(invited), "--questionnaire",
                                        str(questionnaires.DEFAULT_DEFINITION),
                                        "--json", str(out)])
    assert result.exit_code == 0, result.output
    figures = json.loads(out.read_text(encoding="utf-8"))
    b1 = frame["b1"][frame["b1"] != 99]
    assert figures["items"]["b1_ja"]["total"]["n"] == len(b1)
    assert figures["items"]["b1_ja"]["total"]["yes"] == int((b1 > 0).sum())
    assert "exposed_any" in figures["items"]
    assert figures["items"]["c7_1"]["n_missing"] == 0, "asked only after c6 == 0: not missing"
    assert figures["items"]["d1_ja"]["n_missing"] == n, "asked of everyone, answered by none"
    assert figures["ordinal"]["b1"]["distribution"]["total"]["levels"] == [0, 1, 2, 3]


def test_an_administrator_sees_completes_over_invited_and_the_weights_they_imply() -> None:
    """Response rate = responded / invited per stratum, municipality and total; the weight
    is invited / responded, and the published weighted share says which design its SE uses."""
    data = tidy([1, 0, 1, 0, 0, 0, 1, 1])
    rates = response_rates(data)
    first = rates.by_stratum[0]
    assert (first.invited, first.responded) == (40, 2)
    assert first.response_rate == pytest.approx(2 / 40) and first.ps_weight == 20
    assert rates.total.response_rate == pytest.approx(8 / 200)
    (total,) = weighted_shares(data, "q", {"total": ["Linköping", "Norrköping"]})
    assert total.default == "stratified"
    assert total.stratified_fpc.se < total.stratified.se


@pytest.mark.parametrize(("yes", "n"), [(0, 1), (1, 1), (3, 7), (50, 120), (999, 1000)])
def test_wilson_limits_agree_with_scipys_score_interval(yes: int, n: int) -> None:
    """The closed form equals scipy's Wilson interval (no continuity correction)."""
    expected = binomtest(yes, n).proportion_ci(method="wilson")
    assert wilson_interval(yes, n) == pytest.approx((expected.low, expected.high), rel=1e-12,
                                                    abs=1e-15)


def test_an_overwhelming_difference_keeps_a_tiny_p_value_instead_of_zero() -> None:
    """Upper tails come from chi2.sf: 1 - cdf would round a p below 1e-16 to 0."""
    result = mantel_haenszel({"a": TwoByTwo(400, 20, 20, 400), "b": TwoByTwo(300, 30, 30, 300)})
    assert 0 < result.p_value < 1e-100
    assert result.p_value_continuity_corrected > result.p_value
