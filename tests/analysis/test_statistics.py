"""The statistics as the people who read them rely on them (beyond the R reference)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from scipy.stats import binomtest, chi2, chi2_contingency, fisher_exact, mannwhitneyu, norm
from scipy.stats.contingency import odds_ratio
from statsmodels.genmod.families import Binomial
from statsmodels.genmod.generalized_linear_model import GLM
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests

import questionnaires
from analysis import data as tidy_data
from analysis.comparison import (
    TwoByTwo,
    chi_square_upper_tail,
    compare_shares,
    conditional_odds_ratio,
    mantel_haenszel,
)
from analysis.logistic import logistic_regression
from analysis.multiplicity import adjust
from analysis.ordinal import rank_sum_test
from analysis.proportions import normal_upper_tail, share, wilson_interval, z_value
from analysis.rounds import IncomparableRounds, compare_rounds
from analysis.weights import response_rates, weighted_shares
from questionnaires.model import NOT_ASKED, SKIPPED
from survey.commands.stats import stats
from tests.analysis.conftest import REFERENCE_ROOT

REFERENCE_FOLDERS = sorted(p for p in REFERENCE_ROOT.iterdir() if p.is_dir()) if (
    REFERENCE_ROOT.is_dir()) else []

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


@pytest.mark.parametrize("cells", [(148, 527, 91, 438), (3, 9, 0, 12), (0, 5, 4, 6),
                                   (7, 0, 2, 9), (12, 3, 1, 40), (1, 0, 0, 1), (250, 1, 1, 250)])
def test_the_exact_odds_ratio_and_interval_equal_scipys_conditional_mle(cells) -> None:
    """The conditional MLE and exact interval (R's fisher.test, re-coded) agree with scipy's
    independent implementation, including the 0 and infinity at the edges of the support."""
    table = TwoByTwo(*cells)
    expected = odds_ratio(table.array, kind="conditional")
    interval = expected.confidence_interval(0.95)
    ours = conditional_odds_ratio(table)
    assert ours == pytest.approx((expected.statistic, interval.low, interval.high), rel=1e-9,
                                 abs=1e-300)


def test_the_common_odds_ratio_and_its_interval_equal_statsmodels() -> None:
    """Mantel-Haenszel odds ratio with the Robins-Breslow-Greenland interval, against
    statsmodels' StratifiedTable on the same strata."""
    rng = np.random.default_rng(11)
    for _ in range(20):
        strata = [TwoByTwo(*(int(v) for v in rng.integers(1, 60, 4))) for _ in range(3)]
        expected = StratifiedTable([t.array for t in strata])
        result = mantel_haenszel({str(i): t for i, t in enumerate(strata)})
        assert result.common_or_mh == pytest.approx(expected.oddsratio_pooled, rel=1e-12)
        assert (result.or_lower, result.or_upper) == pytest.approx(
            expected.oddsratio_pooled_confint(alpha=0.05), rel=1e-12)


def test_the_logistic_fit_equals_statsmodels_glm_at_convergence() -> None:
    """Coefficients and standard errors of the numpy IRLS agree with statsmodels' GLM fitted
    to the same tolerance (both converge to the same maximum; SEs from the last weights)."""
    rng = np.random.default_rng(5)
    n = 600
    frame = pd.DataFrame({
        "municipality": rng.choice(["Linköping", "Norrköping", "Motala"], n),
        "group": rng.choice(["förtroendevald", "medarbetare"], n),
        "gender": rng.choice(["kvinna", "man", "annat"], n, p=[0.5, 0.45, 0.05]),
    })
    logit = (-1.2 + 0.5 * (frame["municipality"] == "Norrköping")
             - 0.4 * (frame["group"] == "medarbetare") + 0.3 * (frame["gender"] == "man"))
    frame["q"] = (rng.random(n) < 1 / (1 + np.exp(-logit))).astype(float)
    frame.loc[rng.choice(n, 20, replace=False), "q"] = np.nan
    levels = {"municipality": ("Linköping", "Norrköping", "Motala"),
              "group": ("förtroendevald", "medarbetare"), "gender": ("kvinna", "man", "annat")}
    fit = logistic_regression(frame, "q", levels)
    used = frame[frame["q"].notna()]
    design = np.column_stack([np.ones(len(used))] + [
        (used[factor] == level).to_numpy(dtype=float)
        for factor, values in levels.items() for level in values[1:]])
    expected = GLM(used["q"].to_numpy(), design, family=Binomial()).fit(
        tol_criterion="deviance", rtol=1e-14, atol=1e-15, maxiter=100)
    assert [c.term for c in fit.coefficients] == [
        "(Intercept)", "municipalityNorrköping", "municipalityMotala", "groupmedarbetare",
        "genderman", "genderannat"]
    assert [c.estimate for c in fit.coefficients] == pytest.approx(expected.params, rel=1e-9)
    assert [c.std_error for c in fit.coefficients] == pytest.approx(expected.bse, rel=1e-9)
    assert fit.deviance == pytest.approx(expected.deviance, rel=1e-12)
    assert fit.converged and fit.n_used == n - 20


@pytest.mark.parametrize("folder", REFERENCE_FOLDERS, ids=[f.name for f in REFERENCE_FOLDERS])
def test_the_logistic_fit_takes_the_same_iterations_as_r(folder: Path) -> None:
    """R's glm.fit, step for step: the same number of IRLS iterations and the same
    convergence verdict as R reports, separated fits included."""
    reference = json.loads((folder / "reference.json").read_text(encoding="utf-8"))
    data = tidy_data.from_frame(tidy_data.read_responses(folder / "survey.csv"),
                                tidy_data.read_invited(folder / "invited.csv"))
    for item, figures in reference["items"].items():
        for model, genders in (("logistic", data.levels["gender"]),
                               ("logistic_kvinna_man_only", ("kvinna", "man"))):
            levels = {"municipality": data.levels["municipality"],
                      "group": data.levels["group"], "gender": genders}
            fit = logistic_regression(data.responses, item, levels)
            assert (fit.iterations, fit.converged) == (figures[model]["iterations"],
                                                        figures[model]["converged"]), (item, model)


def random_tables(seed: int, count: int = 60) -> list[TwoByTwo]:
    """Small and large 2x2 tables, with zeros, where exact and asymptotic tests differ."""
    rng = np.random.default_rng(seed)
    tables = [TwoByTwo(*(int(v) for v in rng.integers(0, high, 4)))
              for high in (4, 12, 300) for _ in range(count // 3)]
    return [t for t in tables if t.yes_first + t.no_first and t.yes_second + t.no_second]


def test_fisher_and_pearson_p_values_equal_scipys() -> None:
    """Fisher's two-sided p (R's rule: tables no more probable than the observed) and the
    Pearson/Yates p-values agree with scipy's fisher_exact and chi2_contingency."""
    for table in random_tables(23):
        result = compare_shares(table)
        assert result.fisher_p == pytest.approx(fisher_exact(table.array).pvalue, rel=1e-9)
        if result.chisq_p is None:
            continue
        pearson = chi2_contingency(table.array, correction=False)
        yates = chi2_contingency(table.array, correction=True)
        assert result.chisq_statistic == pytest.approx(pearson.statistic, rel=1e-10)
        assert result.chisq_p == pytest.approx(pearson.pvalue, rel=1e-9)
        assert result.chisq_yates_p == pytest.approx(yates.pvalue, rel=1e-9)


@pytest.mark.parametrize("sizes", [(3, 4), (9, 8), (40, 60), (300, 250)])
def test_the_rank_sum_test_equals_scipys_mann_whitney_with_ties(sizes) -> None:
    """W, and both p-values (with and without continuity correction), against
    scipy.stats.mannwhitneyu(method="asymptotic") on tie-heavy ordinal answers."""
    rng = np.random.default_rng(sum(sizes))
    first = rng.choice([0, 1, 2, 3], sizes[0], p=[0.4, 0.3, 0.2, 0.1]).astype(float)
    second = rng.choice([0, 1, 2, 3], sizes[1], p=[0.3, 0.3, 0.2, 0.2]).astype(float)
    result = rank_sum_test(first, second)
    for continuity, ours in ((True, result.p_correct_true), (False, result.p_correct_false)):
        expected = mannwhitneyu(first, second, use_continuity=continuity,
                                alternative="two-sided", method="asymptotic")
        assert result.W == expected.statistic
        assert ours == pytest.approx(expected.pvalue, rel=1e-9)


def test_equal_rank_sums_give_a_p_value_of_one() -> None:
    """No deviation at all: no continuity correction is applied (R), p = 1 exactly."""
    result = rank_sum_test(np.array([0.0, 1.0, 2.0]), np.array([2.0, 1.0, 0.0]))
    assert result.p_correct_true == result.p_correct_false == 1.0


def test_holm_and_bh_equal_statsmodels_on_a_family_with_ties() -> None:
    """R's p.adjust conventions, against statsmodels' "holm" and "fdr_bh"."""
    raw = {f"item{i}": p for i, p in enumerate([0.01, 0.04, 0.04, 0.2, 0.003, 0.5, 0.04, 0.9])}
    result = adjust(raw)
    for method, name in ((result.holm, "holm"), (result.BH, "fdr_bh")):
        assert list(method.values()) == pytest.approx(
            multipletests(list(raw.values()), method=name)[1], rel=1e-12)
    assert z_value() == pytest.approx(norm.ppf(0.975), rel=1e-15)


@pytest.mark.parametrize("df", [1, 2, 3, 4, 11, 12])
def test_chi_square_and_normal_tails_equal_scipys_down_to_tiny_p_values(df: int) -> None:
    """The tails written with math (no scipy import) keep their relative accuracy where a
    county round's homogeneity test or an overwhelming difference lands."""
    for statistic in (0.0, 1e-6, 0.5, 3.84, 20.0, 150.0, 900.0):
        assert chi_square_upper_tail(df, statistic) == pytest.approx(
            chi2.sf(statistic, df), rel=1e-11, abs=0)
    for z in (-8.0, -1.96, 0.0, 1.0, 6.0, 30.0):
        assert normal_upper_tail(z) == pytest.approx(norm.sf(z), rel=1e-11, abs=0)
    assert z_value() == pytest.approx(norm.ppf(0.975), rel=1e-15)


@pytest.mark.parametrize(("df", "statistic"), [(500, 1702.0), (2000, 2553.0), (50, 1500.0),
                                               (12, 900.0), (1, 1300.0)])
def test_a_homogeneity_test_with_many_degrees_of_freedom_keeps_its_tiny_p_value(
        df: int, statistic: float) -> None:
    """Large df and large statistics: scipy's value (df 500 at 1702 is 9.5e-131, not 0)."""
    assert chi_square_upper_tail(df, statistic) == pytest.approx(chi2.sf(statistic, df),
                                                                 rel=1e-10, abs=0)
    assert chi_square_upper_tail(df, statistic) > 0
    assert chi_square_upper_tail(df, float("inf")) == 0.0


def test_a_stratum_of_200000_answers_gives_statsmodels_cmh_not_an_overflow() -> None:
    """row1 * row2 * col1 * col2 of a 200,000-answer stratum is beyond int64."""
    strata = {"förtroendevald": TwoByTwo(30_000, 70_000, 25_000, 75_000),
              "medarbetare": TwoByTwo(12, 40, 9, 44)}
    result = mantel_haenszel(strata)
    expected = StratifiedTable([t.array for t in strata.values()]).test_null_odds(
        correction=False)
    assert result.statistic == pytest.approx(expected.statistic, rel=1e-10)
    assert result.p_value == pytest.approx(chi2.sf(expected.statistic, 1), rel=1e-9)


def test_three_million_tied_answers_give_scipys_rank_sum_p_value() -> None:
    """The tie correction's t^3 overflows int64 above 2.1 million ties."""
    rng = np.random.default_rng(3)
    first = rng.choice([0.0, 1.0], 1_600_000, p=[0.95, 0.05])
    second = rng.choice([0.0, 1.0], 1_400_000, p=[0.949, 0.051])
    result = rank_sum_test(first, second)
    for continuity, ours in ((True, result.p_correct_true), (False, result.p_correct_false)):
        expected = mannwhitneyu(first, second, use_continuity=continuity,
                                alternative="two-sided", method="asymptotic")
        assert ours == pytest.approx(expected.pvalue, rel=1e-7)


def test_an_undefined_p_value_in_a_family_stays_undefined_and_is_not_counted() -> None:
    """R's p.adjust: NaN stays NaN and the family has as many members as defined p-values
    (Holm and BH equal statsmodels on the defined ones; nothing turns into NaN)."""
    raw = {"q_threat": 0.01, "q_bribe": float("nan"), "q_film": 0.04, "q_harass": 0.03}
    result = adjust(raw)
    defined = [p for p in raw.values() if not np.isnan(p)]
    for method, name in ((result.holm, "holm"), (result.BH, "fdr_bh"),
                         (result.bonferroni, "bonferroni")):
        assert np.isnan(method["q_bribe"])
        assert [method[k] for k in ("q_threat", "q_film", "q_harass")] == pytest.approx(
            multipletests(defined, method=name)[1], rel=1e-12)


def test_a_table_with_no_events_reports_its_odds_ratio_as_undefined_not_zero() -> None:
    """Nobody answered yes in either group: both odds are 0, their ratio undefined (scipy's
    conditional odds_ratio gives NaN and the interval (0, inf)); likewise nobody no."""
    for table, reason in ((TwoByTwo(0, 12, 0, 9), "no_events"),
                          (TwoByTwo(7, 0, 4, 0), "no_non_events")):
        result = compare_shares(table)
        expected = odds_ratio(table.array, kind="conditional")
        assert np.isnan(expected.statistic)
        assert result.fisher_or_conditional_mle is None and result.sample_or is None
        assert result.odds_ratio_undefined == reason
        assert (result.fisher_or_lower, result.fisher_or_upper) == (0.0, None)
        assert result.fisher_p == 1.0
    assert compare_shares(TwoByTwo(0, 12, 3, 9)).odds_ratio_undefined is None


def test_fisher_at_two_million_answers_equals_scipy_and_is_vectorised() -> None:
    """Fisher's p on a county-of-counties table of 2,000,000 answers, against scipy; the
    hypergeometric weights are one vectorised computation, not a Python loop per table."""
    table = TwoByTwo(101_000, 899_000, 100_000, 900_000)
    assert compare_shares(table).fisher_p == pytest.approx(
        fisher_exact(table.array).pvalue, rel=1e-6)
