"""What a chief, a results page or a workbook gets from ``analysis.report.build``: the
published figures, with every figure computed from a withheld cell withheld or recomputed
without it (docs/disclosure.md)."""

from __future__ import annotations

import json
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import pytest
from click.testing import CliRunner
from statsmodels.stats.contingency_tables import StratifiedTable
from statsmodels.stats.multitest import multipletests

from analysis import data as tidy_data
from analysis import report
from analysis.publication import COMPUTED_FROM_WITHHELD, NAMING_FIELDS
from survey.commands.stats import stats
from tests.analysis.conftest import REFERENCE_A


@cache
def reference_round() -> tidy_data.SurveyData:
    return tidy_data.from_frame(tidy_data.read_responses(REFERENCE_A / "survey.csv"),
                                tidy_data.read_invited(REFERENCE_A / "invited.csv"))


@cache
def published_reference() -> dict:
    return report.build(reference_round())


def withheld_entries(value: Any, path: str = "") -> list[tuple[str, dict]]:
    """Every figure in the published JSON marked as withheld, with where it stands."""
    found = []
    if isinstance(value, dict):
        if value.get("withheld"):
            found.append((path, value))
        for key, inner in value.items():
            found += withheld_entries(inner, f"{path}/{key}")
    elif isinstance(value, list):
        for position, inner in enumerate(value):
            found += withheld_entries(inner, f"{path}/{position}")
    return found


def test_a_withheld_figure_carries_its_reason_and_no_value() -> None:
    """Every withheld figure keeps only the names of its categories: no count, share,
    test statistic or flag that could say how its people answered."""
    entries = withheld_entries(published_reference())
    assert entries
    for path, entry in entries:
        left = {k: v for k, v in entry.items()
                if k not in NAMING_FIELDS and k not in ("withheld", "left_out")
                and v not in (None, [])}
        assert not left, f"{path} is withheld but still shows {left}"


def test_a_chief_sees_no_figure_of_the_three_other_gender_politicians() -> None:
    """Norrköping's three "annat" elected officials: withheld in every item's shares and in
    the respondent counts, with the plan's reason."""
    figures = published_reference()
    where = {"municipality": "Norrköping", "group": "förtroendevald", "gender": "annat"}
    for item, entry in figures["items"].items():
        cell = next(c for c in entry["cells_by_gender"]
                    if all(c[k] == v for k, v in where.items()))
        assert cell["withheld"] == "primary" and cell["n"] is None, item
    counted = next(c for c in figures["demographics"]["gender"]
                   if all(c[k] == v for k, v in where.items()))
    assert counted == {**where, "n": None, "withheld": "primary"}


def test_a_model_leaves_out_the_gender_categories_whose_cells_are_withheld() -> None:
    """The logistic model is fitted on the gender categories without a withheld cell (kvinna
    and man for the threats) and says which it left out; where only one is left, the model
    drops gender; the kvinna-man model is withheld where one of their cells is."""
    figures = published_reference()
    threat = figures["items"]["q_threat"]["logistic"]
    assert threat["withheld"] is None and threat["gender_levels"] == ["kvinna", "man"]
    assert [e["gender"] for e in threat["left_out"]] == ["annat", "vill ej svara"]
    assert threat == {**report.model_figures(
        reference_round(), "q_threat", {"municipality": ("Linköping", "Norrköping"),
                                        "group": ("förtroendevald", "medarbetare"),
                                        "gender": ("kvinna", "man")}),
        "withheld": None, "left_out": threat["left_out"]}
    genders = figures["meta"]["genders"]
    dropped_gender = []
    for item, entry in figures["items"].items():
        withheld = {e["cell"]["gender"] for e in figures["disclosure"]["items"][item]
                    if "gender" in e["cell"]}
        usable = [g for g in genders if g not in withheld]
        model = entry["logistic"]
        assert model["gender_levels"] == (usable if len(usable) >= 2 else []), item
        assert {c["variable"] for c in model["coefficients"]} <= {
            "(Intercept)", "municipality", "group", *(["gender"] if len(usable) >= 2 else [])}
        stable = entry["logistic_kvinna_man_only"]
        assert (stable["withheld"] is None) == ({"kvinna", "man"} <= set(usable)), item
        if not model["gender_levels"]:
            dropped_gender.append(item)
    assert dropped_gender, "reference a has items whose kvinna and man cells are withheld"


def small_county() -> tidy_data.SurveyData:
    """Three municipalities; Ydre has three elected officials, two of them threatened."""
    rng = np.random.default_rng(9)
    rows = []
    for municipality, elected, staff in (("Linköping", 80, 120), ("Norrköping", 70, 110),
                                         ("Ydre", 3, 40)):
        for group, size in (("förtroendevald", elected), ("medarbetare", staff)):
            for person in range(size):
                threatened = person < 2 if municipality == "Ydre" and group == \
                    "förtroendevald" else rng.random() < 0.2
                rows.append({"municipality": municipality, "group": group,
                             "gender": rng.choice(["kvinna", "man"]),
                             "q_threat": float(threatened)})
    frame = pd.DataFrame(rows)
    invited = frame.groupby(["municipality", "group"]).size().mul(2).rename("invited")
    return tidy_data.from_frame(frame, invited.reset_index())


def test_tests_inside_a_comparison_are_computed_only_from_published_cells() -> None:
    """Ydre's elected officials (3) are withheld: no comparison, CMH stratum, overall test or
    weighted share uses a withheld cell, what is left is recomputed on the published cells
    (CMH equal to statsmodels on them), and the multiplicity families hold only the
    published p-values."""
    figures = report.build(small_county())
    hidden = {frozenset(e["cell"].items()) for e in figures["disclosure"]["items"]["q_threat"]}

    def published(**cell: str) -> bool:
        return frozenset(cell.items()) not in hidden

    threat = figures["items"]["q_threat"]
    assert not published(municipality="Ydre", group="förtroendevald")
    for comparison in threat["comparisons"]:
        pair = ("Linköping", comparison["municipality"])
        assert (comparison["difference"]["withheld"] is None) == all(
            published(municipality=m) for m in pair)
        for by_group in comparison["difference_by_group"]:
            assert (by_group["withheld"] is None) == all(
                published(municipality=m, group=by_group["group"]) for m in pair)
        cmh = comparison["cmh"]
        kept = [g for g in ("förtroendevald", "medarbetare")
                if all(published(municipality=m, group=g) for m in pair)]
        assert [e["group"] for e in cmh["left_out"]] == [
            g for g in ("förtroendevald", "medarbetare") if g not in kept]
        if not kept:
            assert cmh["withheld"] == COMPUTED_FROM_WITHHELD and cmh["statistic"] is None
            continue
        tables = [[[s["yes_first"], s["no_first"]], [s["yes_second"], s["no_second"]]]
                  for s in cmh["strata_tables"]]
        assert [s["group"] for s in cmh["strata_tables"]] == kept
        assert cmh["statistic"] == pytest.approx(
            StratifiedTable(np.dstack(tables)).test_null_odds(correction=False).statistic,
            rel=1e-9)
    overall = threat["overall"]
    assert [r["municipality"] for r in overall["table"]] == [
        m for m in ("Linköping", "Norrköping", "Ydre") if published(municipality=m)]
    weighted = {w["municipality"]: w for w in threat["weighted"]}
    assert weighted["Ydre"]["withheld"] == weighted["total"]["withheld"] == \
        COMPUTED_FROM_WITHHELD
    assert weighted["Ydre"]["stratified"] is None
    published_p = [c["cmh"]["p_value"] for c in threat["comparisons"]
                   if c["cmh"]["p_value"] is not None]
    adjusted = [f["cmh_p"]["holm"] for f in figures["multiplicity"]["comparisons"]
                if f["cmh_p"]["holm"] is not None]
    assert adjusted == pytest.approx(multipletests(published_p, method="holm")[1], rel=1e-12)


def test_standard_output_of_the_stats_command_is_json(tmp_path) -> None:
    """`paverkan stats --json -` prints the figures and nothing else (no solver banner)."""
    result = CliRunner().invoke(stats, ["--responses", str(REFERENCE_A / "survey.csv"),
                                        "--invited", str(REFERENCE_A / "invited.csv"),
                                        "--json", "-"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["publication"]["published"] is True
