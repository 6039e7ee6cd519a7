"""A county round: more than two municipalities, each compared with the reference (first)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import chi2, chi2_contingency, fisher_exact
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep

from analysis import data as tidy_data
from analysis import report

MUNICIPALITIES = ("Linköping", "Norrköping", "Motala")
GROUPS = ("förtroendevald", "medarbetare")
ITEMS = ("q_threat", "q_bribe")


@pytest.fixture(scope="module")
def county() -> tuple[pd.DataFrame, dict]:
    """Three municipalities with different exposure; figures as `paverkan stats` writes them."""
    rng = np.random.default_rng(2026)
    rows = []
    for m, municipality in enumerate(MUNICIPALITIES):
        for g, group in enumerate(GROUPS):
            for _ in range(60 + 25 * m + 30 * g):
                rows.append({"municipality": municipality, "group": group,
                             "gender": rng.choice(["kvinna", "man"]),
                             "q_threat": float(rng.random() < 0.15 + 0.08 * m + 0.05 * g),
                             "q_bribe": float(rng.random() < 0.05 + 0.02 * m)})
    frame = pd.DataFrame(rows)
    frame.loc[rng.choice(len(frame), 15, replace=False), "q_threat"] = np.nan
    invited = frame.groupby(["municipality", "group"]).size().mul(2).rename("invited")
    data = tidy_data.from_frame(frame, invited.reset_index())
    return frame, report.compute(data)


def two_by_two(frame: pd.DataFrame, item: str, other: str, group: str | None = None):
    rows = frame if group is None else frame[frame["group"] == group]
    table = []
    for municipality in (MUNICIPALITIES[0], other):
        answers = rows.loc[rows["municipality"] == municipality, item].dropna()
        table.append([int(answers.sum()), int((answers == 0).sum())])
    return np.array(table)


def test_each_municipality_is_compared_with_the_reference(county) -> None:
    """Linköping (first level) against Norrköping and against Motala; difference is
    reference minus the other, with Fisher, Pearson and Newcombe as for two municipalities."""
    frame, figures = county
    assert figures["meta"]["reference_municipality"] == "Linköping"
    assert figures["meta"]["difference_direction"] == "Linköping minus each other"
    for item in ITEMS:
        found = figures["items"][item]
        assert "difference" not in found, "no single pair speaks for three municipalities"
        assert [c["municipality"] for c in found["comparisons"]] == ["Norrköping", "Motala"]
        for comparison in found["comparisons"]:
            table = two_by_two(frame, item, comparison["municipality"])
            (a, b), (c, d) = table
            difference = comparison["difference"]
            assert difference["table"] == {"yes_first": a, "no_first": b,
                                           "yes_second": c, "no_second": d}
            assert difference["difference"] == pytest.approx(a / (a + b) - c / (c + d),
                                                             rel=1e-12)
            pearson = chi2_contingency(table, correction=False)
            assert difference["chisq_p"] == pytest.approx(pearson.pvalue, rel=1e-9)
            assert difference["fisher_p"] == pytest.approx(fisher_exact(table).pvalue, rel=1e-9)
            low, high = confint_proportions_2indep(a, a + b, c, c + d, method="newcomb")
            assert (difference["newcombe_lower"], difference["newcombe_upper"]) == (
                pytest.approx((low, high), rel=1e-9))


def test_the_adjusted_comparison_with_each_municipality_stratifies_by_group(county) -> None:
    """CMH of the reference against each municipality across the two groups."""
    frame, figures = county
    for comparison in figures["items"]["q_threat"]["comparisons"]:
        strata = StratifiedTable([two_by_two(frame, "q_threat", comparison["municipality"], g)
                                  for g in GROUPS])
        cmh = comparison["cmh"]
        expected = strata.test_null_odds(correction=False)
        assert cmh["statistic"] == pytest.approx(expected.statistic, rel=1e-9)
        assert cmh["p_value"] == pytest.approx(expected.pvalue, rel=1e-9)
        assert cmh["common_or_mh"] == pytest.approx(strata.oddsratio_pooled, rel=1e-9)


def test_one_overall_chi_square_asks_whether_any_municipality_differs(county) -> None:
    """Pearson across the 3 x 2 table, no correction, 2 degrees of freedom, by hand."""
    frame, figures = county
    for item in ITEMS:
        observed = np.array([[frame.loc[frame["municipality"] == m, item].eq(answer).sum()
                              for answer in (1, 0)] for m in MUNICIPALITIES], dtype=float)
        expected = observed.sum(axis=1)[:, None] * observed.sum(axis=0) / observed.sum()
        statistic = ((observed - expected) ** 2 / expected).sum()
        overall = figures["items"][item]["overall"]
        assert overall["chisq_df"] == 2
        assert overall["chisq_statistic"] == pytest.approx(statistic, rel=1e-12)
        assert overall["chisq_p"] == pytest.approx(chi2.sf(statistic, 2), rel=1e-9)
        assert [(r["municipality"], r["yes"], r["no"]) for r in overall["table"]] == [
            (m, int(yes), int(no)) for m, (yes, no) in zip(MUNICIPALITIES, observed,
                                                             strict=True)]


def test_holm_and_bh_run_over_every_comparison_made(county) -> None:
    """The family is items x municipalities compared with the reference: four p-values."""
    _, figures = county
    entries = figures["multiplicity"]["comparisons"]
    assert [(e["item"], e["municipality"]) for e in entries] == [
        (i, m) for i in ITEMS for m in MUNICIPALITIES[1:]]
    assert "chisq_p" not in figures["multiplicity"], "the per-item layout needs two"
    for family in ("chisq_p", "fisher_p", "cmh_p"):
        raw = [e[family]["raw"] for e in entries]
        assert raw == [figures["items"][e["item"]]["comparisons"][
            MUNICIPALITIES.index(e["municipality"]) - 1][
            "cmh" if family == "cmh_p" else "difference"][
            "p_value" if family == "cmh_p" else family] for e in entries]
        for method, name in (("holm", "holm"), ("BH", "fdr_bh"), ("bonferroni", "bonferroni")):
            assert [e[family][method] for e in entries] == pytest.approx(
                multipletests(raw, method=name)[1], rel=1e-12)
    overall = figures["multiplicity"]["overall_chisq_p"]
    raw = [figures["items"][i]["overall"]["chisq_p"] for i in ITEMS]
    assert list(overall["holm"].values()) == pytest.approx(
        multipletests(raw, method="holm")[1], rel=1e-12)


def test_ordinal_items_compare_each_municipality_with_the_reference() -> None:
    """The rank-sum test runs reference against each other municipality."""
    frame = pd.DataFrame({"municipality": np.repeat(MUNICIPALITIES, 20),
                          "group": np.tile(GROUPS, 30),
                          "worry": np.tile([0, 1, 2, 3, 1, 2], 10)})
    invited = pd.DataFrame([(m, g, 50) for m in MUNICIPALITIES for g in GROUPS],
                           columns=["municipality", "group", "invited"])
    figures = report.compute(tidy_data.from_frame(frame, invited))
    comparisons = figures["ordinal"]["worry"]["comparisons"]
    assert [c["municipality"] for c in comparisons] == ["Norrköping", "Motala"]
    assert "wilcoxon" not in figures["ordinal"]["worry"]
    assert all(c["wilcoxon"]["n_first"] == c["wilcoxon"]["n_second"] == 20 for c in comparisons)
