"""Every figure of a round as one JSON-ready dictionary (``paverkan stats --json``).

The shape follows the independent reference (``../shared/reference/*/reference.json``), so
a researcher can diff the two files; figures the reference does not hold (shares by age
band, the disclosure plan) are added beside them. Non-finite numbers become ``null``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from analysis import disclosure
from analysis.comparison import TwoByTwo, compare_shares, mantel_haenszel
from analysis.data import AGE_BAND, GENDER, GROUP, MUNICIPALITY, SurveyData
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
    """All statistics of ``data`` as plain data, ready for :func:`json.dumps`."""
    with disclosure.single_threaded_blas():
        return _build(data, min_cell)


def _build(data: SurveyData, min_cell: int) -> dict[str, Any]:
    municipalities = data.levels[MUNICIPALITY]
    if len(municipalities) != 2:
        raise ValueError("the comparisons need exactly two municipalities, found "
                         f"{list(municipalities)}")
    rates = response_rates(data)
    by_stratum = [plain(s) for s in rates.by_stratum]
    items = {item: _binary_item(data, item, rates) for item in data.binary}
    return {
        "meta": {
            "n_rows": len(data.responses),
            "conf_level": CONFIDENCE,
            "z": z_value(),
            "municipalities": list(municipalities),
            "difference_direction": f"{municipalities[0]} minus {municipalities[1]}",
            "groups": list(data.levels[GROUP]),
            "genders": list(data.levels.get(GENDER, ())),
            "age_bands": list(data.levels.get(AGE_BAND, ())),
            "items": list(data.binary),
            "ordinal_items": list(data.ordinal),
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
        "multiplicity": {
            "items": list(data.binary),
            **{family: plain(adjust({i: items[i]["difference"][family] for i in items}))
               for family in ("chisq_p", "fisher_p")},
            "cmh_p": plain(adjust({i: items[i]["cmh"]["p_value"] for i in items})),
        },
        "ordinal": {item: _ordinal_item(data, item) for item in data.ordinal},
        "disclosure": disclosure.plan_for_report(data, min_cell),
    }


def plain(value: Any) -> Any:
    """Dataclasses, mappings, sequences and numpy scalars as JSON values (NaN/inf -> null)."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, Mapping):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [plain(v) for v in value]
    if isinstance(value, (bool, np.bool_)):
        return bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        return float(value) if math.isfinite(value) else None
    return value


def _binary_item(data: SurveyData, item: str, rates: ResponseRates) -> dict[str, Any]:
    rows = data.universe(item)
    first, second = data.levels[MUNICIPALITY]
    groups = data.levels[GROUP]

    answers = rows[item].to_numpy(dtype=float)
    categories = {c: rows[c].to_numpy(dtype=object) for c in data.levels}

    def values(**where: str) -> np.ndarray:
        mask = np.ones(len(rows), dtype=bool)
        for column, level in where.items():
            mask &= categories[column] == level
        return answers[mask]

    def table(**where: str) -> TwoByTwo:
        return TwoByTwo.from_values(values(municipality=first, **where),
                                    values(municipality=second, **where))

    strata_tables = {g: table(group=g) for g in groups}
    cmh = plain(mantel_haenszel(strata_tables))
    cmh["strata_tables"] = [{GROUP: g, **plain(t)} for g, t in strata_tables.items()]
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
        "difference": plain(compare_shares(table())),
        "difference_by_group": [{GROUP: g, **plain(compare_shares(t))}
                                for g, t in strata_tables.items()],
        "cmh": cmh,
        "logistic": _logistic(data, item, model_levels),
        "weighted": [plain(w) for w in weighted_shares(
            data, item, {**{m: [m] for m in data.levels[MUNICIPALITY]},
                         "total": data.levels[MUNICIPALITY]}, rates=rates)],
    }
    if GENDER in model_levels:
        result["logistic_kvinna_man_only"] = _logistic(
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


def _logistic(data: SurveyData, item: str, levels: Mapping[str, Sequence[str]]) -> dict:
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
    first, second = data.levels[MUNICIPALITY]
    municipality = rows[MUNICIPALITY].to_numpy()
    group = rows[GROUP].to_numpy()
    values = rows[item].to_numpy(dtype=float)

    def dist(mask: np.ndarray) -> dict:
        return plain(distribution(values[mask], levels))

    everyone = np.ones(len(rows), dtype=bool)
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
        "wilcoxon": plain(rank_sum_test(values[municipality == first],
                                        values[municipality == second])),
        "wilcoxon_by_group": [
            {GROUP: g, **(plain(rank_sum_test(values[(municipality == first) & (group == g)],
                                              values[(municipality == second) & (group == g)]))
                          or {})}
            for g in data.levels[GROUP]],
    }


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

