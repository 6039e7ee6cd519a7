"""Every figure of a round as one JSON-ready dictionary (``paverkan stats --json``).

The shape follows the independent reference (``../shared/reference/*/reference.json``), so
a researcher can diff the two files; figures the reference does not hold (shares by age
band, the disclosure plan) are added beside them. Non-finite numbers become ``null``.

Municipalities: the first level (``meta.reference_municipality``) is the reference; every
other municipality is compared with it (``items.<item>.comparisons[]``: difference =
reference minus the other, Fisher, Pearson, Newcombe, CMH across groups), and
``items.<item>.overall`` tests all of them at once (Pearson, k - 1 degrees of freedom, no
correction). The multiplicity families hold the comparisons made
(``multiplicity.comparisons[]``: items x municipalities; ``overall_chisq_p``: items). With
exactly two municipalities the single comparison also stands at the reference's places
(``difference``, ``difference_by_group``, ``cmh``, ``wilcoxon``, ``multiplicity.chisq_p``
keyed by item ...), so the JSON diffs against the R reference as before.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis import disclosure
from analysis.comparison import (
    Homogeneity,
    TwoByTwo,
    compare_shares,
    homogeneity,
    mantel_haenszel,
    yes_no,
)
from analysis.data import AGE_BAND, GENDER, GROUP, MUNICIPALITY, SurveyData
from analysis.derivability import single_threaded_blas
from analysis.logistic import (
    R_DEFAULT_EPSILON,
    R_DEFAULT_MAX_ITERATIONS,
    logistic_regression,
)
from analysis.multiplicity import adjust
from analysis.ordinal import distribution, rank_sum_test
from analysis.proportions import CONFIDENCE, share, z_value
from analysis.weights import (
    DEFAULT_DESIGN,
    ResponseRates,
    response_rates,
    weighted_shares,
)

#: The sensitivity model on the two large gender categories, whose coefficients stay
#: estimable when the small ones (``annat``, ``vill ej svara``) have no events.
STABLE_GENDERS = ("kvinna", "man")


def build(data: SurveyData, min_cell: int = disclosure.DEFAULT_MIN_CELL) -> dict[str, Any]:
    """The published statistics of ``data``: :func:`compute`'s figures with the disclosure
    plan applied to every one of them (:func:`analysis.publication.publish` says how and
    documents the markers). What results pages, workbooks and published JSON read."""
    # Imported here: the publication module builds on this one's figures and helpers.
    from analysis.publication import publish

    return publish(compute(data, min_cell), data)


def compute(data: SurveyData, min_cell: int = disclosure.DEFAULT_MIN_CELL) -> dict[str, Any]:
    """Every statistic of ``data`` as plain data, ready for :func:`json.dumps`, with the
    disclosure plan beside the figures but not applied: for checking against the R
    reference and for a researcher who holds the microdata anyway. Never publish it."""
    with single_threaded_blas():
        return _build(data, min_cell)


def _build(data: SurveyData, min_cell: int) -> dict[str, Any]:
    municipalities = data.levels[MUNICIPALITY]
    if len(municipalities) < 2:
        raise ValueError("the comparisons need at least two municipalities, found "
                         f"{list(municipalities)}")
    reference, others = municipalities[0], municipalities[1:]
    rates = response_rates(data)
    by_stratum = [plain(s) for s in rates.by_stratum]
    items = {item: _binary_item(data, item, rates) for item in data.binary}
    return {
        "meta": {
            "n_rows": len(data.responses),
            "conf_level": CONFIDENCE,
            "z": z_value(),
            "municipalities": list(municipalities),
            "reference_municipality": reference,
            "difference_direction": f"{reference} minus "
                                    f"{others[0] if len(others) == 1 else 'each other'}",
            "groups": list(data.levels[GROUP]),
            "genders": list(data.levels.get(GENDER, ())),
            "age_bands": list(data.levels.get(AGE_BAND, ())),
            "items": list(data.binary),
            "ordinal_items": list(data.ordinal),
            "item_types": _item_types(data),
            "weighted_default_design": DEFAULT_DESIGN,
            "min_cell": min_cell,
        },
        "strata": by_stratum,
        "response_rates": {
            "by_stratum": by_stratum,
            "by_municipality": [_rate(r, MUNICIPALITY) for r in rates.by_municipality],
            "total": _rate(rates.total, None),
        },
        "demographics": {c: _counts(data, c) for c in data.covariates},
        "items": items,
        "multiplicity": multiplicity_figures(items, others),
        "ordinal": {item: _ordinal_item(data, item) for item in data.ordinal},
        "disclosure": disclosure.plan_for_report(data, min_cell),
    }


def _item_types(data: SurveyData) -> dict[str, Any]:
    """Where the item types came from; when inferred from the values, the columns left out
    and why, so a reader of the JSON can tell a yes/no item that a stray code made ordinal."""
    if data.inference is None:
        return {"inferred": False}
    return {"inferred": True, "not_items": dict(data.inference.not_items)}


def multiplicity_figures(items: Mapping[str, dict], others: Sequence[str]) -> dict[str, Any]:
    """Holm, BH and Bonferroni over the comparisons made: one family per test, each holding
    every item x (municipality against the reference), plus one for the overall tests."""
    families = {"chisq_p": ("difference", "chisq_p"), "fisher_p": ("difference", "fisher_p"),
                "cmh_p": ("cmh", "p_value")}
    comparisons = [(item, c) for item in items for c in items[item]["comparisons"]]
    adjusted = {family: adjust({str(n): c[part][field] for n, (_, c) in enumerate(comparisons)})
                for family, (part, field) in families.items()}
    result: dict[str, Any] = {"items": list(items)}
    if len(others) == 1:
        # Two municipalities: one comparison per item, keyed by item (the reference layout).
        result.update({family: plain(adjust({item: c[part][field] for item, c in comparisons}))
                       for family, (part, field) in families.items()})
    result["comparisons"] = [
        {"item": item, MUNICIPALITY: c[MUNICIPALITY], "reference": c["reference"],
         **{family: {method: getattr(adjusted[family], method).get(str(n))
                     for method in ("raw", "holm", "BH", "bonferroni")}
            for family in families}}
        for n, (item, c) in enumerate(comparisons)]
    result["overall_chisq_p"] = plain(adjust({i: items[i]["overall"]["chisq_p"] for i in items}))
    return result


def plain(value: Any) -> Any:
    """Dataclasses, mappings, sequences and numpy scalars as JSON values (NaN/inf -> null).

    Scalars are told apart first: they are most of the tens of thousands of values a
    county's report converts, and the dataclass test is the slowest."""
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    if value is None or isinstance(value, str):
        return value
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    return value


def _binary_item(data: SurveyData, item: str, rates: ResponseRates) -> dict[str, Any]:
    rows = data.universe(item)
    municipalities = data.levels[MUNICIPALITY]
    groups = data.levels[GROUP]

    answers = rows[item].to_numpy(dtype=float)
    masks = {(c, level): rows[c].to_numpy(dtype=object) == level
             for c, levels in data.levels.items() for level in levels}

    def values(**where: str) -> np.ndarray:
        mask = np.ones(len(rows), dtype=bool)
        for column, level in where.items():
            mask &= masks[column, level]
        return answers[mask]

    def comparison(other: str) -> dict[str, Any]:
        """The reference municipality (first) against ``other`` (second)."""
        def table(**where: str) -> TwoByTwo:
            return TwoByTwo.from_values(values(municipality=municipalities[0], **where),
                                        values(municipality=other, **where))

        strata_tables = {g: table(group=g) for g in groups}
        cmh = plain(mantel_haenszel(strata_tables))
        cmh["strata_tables"] = [{GROUP: g, **plain(t)} for g, t in strata_tables.items()]
        return {
            MUNICIPALITY: other,
            "reference": municipalities[0],
            "difference": plain(compare_shares(table())),
            "difference_by_group": [{GROUP: g, **plain(compare_shares(t))}
                                    for g, t in strata_tables.items()],
            "cmh": cmh,
        }

    comparisons = [comparison(other) for other in municipalities[1:]]
    counts = {m: yes_no(values(municipality=m)) for m in municipalities}
    model_levels = {c: data.levels[c] for c in (MUNICIPALITY, GROUP, GENDER)
                    if c in data.levels}
    result = {
        "n_missing": data.n_missing(item),
        "cells": [{MUNICIPALITY: m, GROUP: g, **plain(share(values(municipality=m, group=g)))}
                  for m in data.levels[MUNICIPALITY] for g in groups],
        "by_municipality": [{MUNICIPALITY: m, **plain(share(values(municipality=m)))}
                            for m in data.levels[MUNICIPALITY]],
        "by_group": [{GROUP: g, **plain(share(values(group=g)))} for g in groups],
        "total": plain(share(values())),
        **({key: comparisons[0][key] for key in ("difference", "difference_by_group", "cmh")}
           if len(comparisons) == 1 else {}),
        "comparisons": comparisons,
        "overall": _overall(homogeneity(counts)),
        "logistic": model_figures(data, item, model_levels),
        "weighted": [plain(w) for w in weighted_shares(
            data, item, {**{m: [m] for m in data.levels[MUNICIPALITY]},
                         "total": data.levels[MUNICIPALITY]}, rates=rates)],
    }
    if GENDER in model_levels:
        result["logistic_kvinna_man_only"] = model_figures(
            data, item, {**model_levels, GENDER: STABLE_GENDERS})
    for entry in result["weighted"]:
        entry[MUNICIPALITY] = entry.pop("label")
    for covariate in data.covariates:
        result[f"cells_by_{covariate}"] = [
            {MUNICIPALITY: m, GROUP: g, covariate: level,
             **plain(share(values(municipality=m, group=g, **{covariate: level})))}
            for m in data.levels[MUNICIPALITY] for g in groups
            for level in data.levels[covariate]]
    return result


def model_figures(data: SurveyData, item: str, levels: Mapping[str, Sequence[str]]) -> dict:
    """The logistic model of ``item`` on ``levels`` (factor -> levels, reference first) as
    plain data, with the coefficients R's default ``glm.control()`` would print beside."""
    fit = plain(logistic_regression(data.responses, item, levels))
    # What a researcher's plain glm() prints: R stops at 1e-8 and takes the SEs from the
    # penultimate weights, up to ~2e-4 off the converged figures above.
    r_default = plain(logistic_regression(data.responses, item, levels,
                                          epsilon=R_DEFAULT_EPSILON,
                                          max_iterations=R_DEFAULT_MAX_ITERATIONS))
    defaults = {c["term"]: c for c in r_default["coefficients"]}
    for ours in fit["coefficients"]:
        for name in ("estimate", "std_error", "p_value"):
            ours[f"{name}_r_default_control"] = defaults.get(ours["term"], {}).get(name)
    zero = fit.pop("levels_with_zero_events_or_nonevents")
    fit["gender_levels"] = list(levels.get(GENDER, ()))
    fit["gender_levels_with_zero_events_or_nonevents"] = [lv for f, lv in zero if f == GENDER]
    fit["levels_with_zero_events_or_nonevents"] = [{"variable": f, "level": lv}
                                                    for f, lv in zero]
    return fit


def _ordinal_item(data: SurveyData, item: str) -> dict[str, Any]:
    rows = data.universe(item)
    levels = data.ordinal_levels[item]
    reference, *others = data.levels[MUNICIPALITY]
    municipality = rows[MUNICIPALITY].to_numpy()
    group = rows[GROUP].to_numpy()
    values = rows[item].to_numpy(dtype=float)

    def dist(mask: np.ndarray) -> dict:
        return plain(distribution(values[mask], levels))

    def test(other: str, where: np.ndarray) -> dict | None:
        return plain(rank_sum_test(values[(municipality == reference) & where],
                                   values[(municipality == other) & where]))

    everyone = np.ones(len(rows), dtype=bool)
    comparisons = [
        {MUNICIPALITY: other, "reference": reference,
         "wilcoxon": test(other, everyone),
         "wilcoxon_by_group": [{GROUP: g, **(test(other, group == g) or {})}
                               for g in data.levels[GROUP]]}
        for other in others]
    return {
        "n_missing": data.n_missing(item),
        "distribution": {
            "cells": [{MUNICIPALITY: m, GROUP: g, **dist((municipality == m) & (group == g))}
                      for m in data.levels[MUNICIPALITY] for g in data.levels[GROUP]],
            "by_municipality": [{MUNICIPALITY: m, **dist(municipality == m)}
                                for m in data.levels[MUNICIPALITY]],
            "by_group": [{GROUP: g, **dist(group == g)} for g in data.levels[GROUP]],
            "total": dist(everyone),
        },
        **({key: comparisons[0][key] for key in ("wilcoxon", "wilcoxon_by_group")}
           if len(comparisons) == 1 else {}),
        "comparisons": comparisons,
    }


def _overall(test: Homogeneity) -> dict[str, Any]:
    entry = plain(test)
    entry["table"] = [{MUNICIPALITY: m, "yes": yes, "no": no} for m, yes, no in test.table]
    return entry


def _rate(rate: Any, key: str | None) -> dict:
    entry = plain(rate)
    label = entry.pop("label")
    return {key: label, **entry} if key else entry


def _counts(data: SurveyData, covariate: str) -> list[dict]:
    counts = data.responses.groupby([MUNICIPALITY, GROUP, covariate]).size()
    return [{MUNICIPALITY: m, GROUP: g, covariate: level,
             "n": int(counts.get((m, g, level), 0))}
            for m in data.levels[MUNICIPALITY] for g in data.levels[GROUP]
            for level in data.levels[covariate]]

