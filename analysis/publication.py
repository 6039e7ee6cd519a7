"""The published form of a report: the disclosure plan applied to every figure, not only cells.

:func:`analysis.report.build` returns this form; it is what results pages, the report
workbook, JSON for publication and exports read (docs/disclosure.md). The plan
(:mod:`analysis.disclosure`) decides which *cells* (shares, distributions, respondent
counts) are withheld. Every other figure is computed from cells, so the rule for them is one:

    a derived figure is published only when every count it is computed from is a
    published cell; otherwise it is computed again on the published categories alone,
    with a note naming what was left out, or withheld.

Then nothing published says more than the published cells, which the plan has already
checked against an attacker solving for the withheld ones. Per kind of figure:

- shares, distributions, respondent counts, response rates: as the plan says;
- a comparison of two municipalities (2x2 table, difference, Fisher, Pearson, Newcombe):
  withheld when either municipality's share is; within a group likewise with the strata;
- CMH across groups, the overall Pearson test across municipalities: on the strata or
  municipalities whose cells are published, the others listed in ``left_out``;
- logistic models: fitted on the gender categories whose every cell is published, the
  others listed in ``left_out`` (a model is a function of its cells' counts: its score
  equations X'(y - mu) = 0 would otherwise give a withheld cell's "yes" back); without
  gender when too few categories remain; withheld when its strata are;
- weighted shares and their standard errors: withheld when a stratum cell or respondent
  count of their domain is;
- rank-sum tests: withheld when either distribution is;
- multiplicity: the families are adjusted again over the published p-values only.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from analysis.comparison import TwoByTwo, homogeneity, mantel_haenszel
from analysis.data import AGE_BAND, GENDER, GROUP, MUNICIPALITY, SurveyData
from analysis.report import model_figures, multiplicity_figures, plain

#: Why a figure is withheld (the ``withheld`` field; ``None`` on a published figure).
PRIMARY = "primary"
COMPLEMENTARY = "complementary"
COMPUTED_FROM_WITHHELD = "computed_from_withheld"
REASONS = {
    PRIMARY: "fewer respondents than the round's minimum cell size",
    COMPLEMENTARY: "withheld so that a smaller withheld figure cannot be worked out from it",
    COMPUTED_FROM_WITHHELD: "computed from a withheld figure",
}
#: Fields that name a figure rather than describe respondents: kept on a withheld figure.
NAMING_FIELDS = frozenset({MUNICIPALITY, GROUP, GENDER, AGE_BAND, "reference", "levels",
                           "gender_levels"})

Cell = frozenset


def cell(**where: str) -> Cell:
    """A cell's key: its categories, e.g. ``cell(municipality="Ydre", group=...)``."""
    return frozenset(where.items())


def withhold(figure: Mapping[str, Any], reason: str) -> dict[str, Any]:
    """``figure`` with every value but its naming fields (and categories) set to ``None``
    and ``withheld`` set to ``reason``."""
    return {key: (value if key in NAMING_FIELDS else None)
            for key, value in figure.items() if key != "withheld"} | {"withheld": reason}


class _Gate:
    """The plan of one table (an item or the respondent counts) as a lookup by cell."""

    def __init__(self, entries: Iterable[Mapping[str, Any]], columns: Sequence[str]) -> None:
        self.hidden = {cell(**e["cell"]): e["reason"] for e in entries}
        self.columns = columns

    def key(self, entry: Mapping[str, Any]) -> Cell:
        return cell(**{c: entry[c] for c in self.columns if c in entry})

    def reason(self, entry: Mapping[str, Any]) -> str | None:
        return self.hidden.get(self.key(entry))

    def published(self, *cells: Mapping[str, str]) -> bool:
        return not any(cell(**c) in self.hidden for c in cells)

    def apply(self, entries: list[dict]) -> list[dict]:
        return [self.mark(e) for e in entries]

    def mark(self, entry: dict) -> dict:
        reason = self.reason(entry)
        return withhold(entry, reason) if reason else {**entry, "withheld": None}


def publish(figures: Mapping[str, Any], data: SurveyData) -> dict:
    """The published form of ``figures`` (``analysis.report.compute``'s dictionary).

    Same layout as the input; every figure entry gains ``withheld``: ``None`` when
    published, else the reason (:data:`REASONS`), its values then ``None`` and only its
    naming fields left. Tests and models restricted to published categories carry
    ``left_out``: ``[{<category column>: level, "withheld": reason}]``. ``publication``
    states the minimum cell size and the reasons.
    """
    published = copy.deepcopy(dict(figures))
    plan = figures["disclosure"]
    columns = (MUNICIPALITY, GROUP, *data.covariates)
    gates = {item: _Gate(entries, columns) for item, entries in plan["items"].items()}
    respondents = _Gate(plan["respondents"], columns)
    municipalities = list(data.levels[MUNICIPALITY])
    groups = list(data.levels[GROUP])

    def strata_published(gate: _Gate, domain: Sequence[str]) -> bool:
        strata = [{MUNICIPALITY: m, GROUP: g} for m in domain for g in groups]
        return gate.published(*strata) and respondents.published(*strata)

    for item, entry in published["items"].items():
        gate = gates[item]
        for name in ("cells", "by_municipality", "by_group",
                     *(f"cells_by_{c}" for c in data.covariates)):
            entry[name] = gate.apply(entry[name])
        entry["total"] = gate.mark(entry["total"])
        entry["comparisons"] = [_comparison(c, gate, groups) for c in entry["comparisons"]]
        if len(municipalities) == 2:
            for key in ("difference", "difference_by_group", "cmh"):
                entry[key] = entry["comparisons"][0][key]
        entry["overall"] = _overall(entry["overall"], gate)
        entry["weighted"] = [
            {**w, "withheld": None} if strata_published(
                gate, municipalities if w[MUNICIPALITY] == "total" else [w[MUNICIPALITY]])
            else withhold(w, COMPUTED_FROM_WITHHELD) for w in entry["weighted"]]
        entry["logistic"] = _model(data, item, gate, data.levels.get(GENDER, ()), fallback=True)
        if "logistic_kvinna_man_only" in entry:
            entry["logistic_kvinna_man_only"] = _model(
                data, item, gate, entry["logistic_kvinna_man_only"]["gender_levels"],
                fallback=False)
    for item, entry in published["ordinal"].items():
        gate = gates[item]
        distribution = entry["distribution"]
        for name in ("cells", "by_municipality", "by_group"):
            distribution[name] = gate.apply(distribution[name])
        distribution["total"] = gate.mark(distribution["total"])
        for comparison in entry["comparisons"]:
            pair = (comparison["reference"], comparison[MUNICIPALITY])
            comparison["wilcoxon"] = _test(comparison["wilcoxon"], gate.published(
                *({MUNICIPALITY: m} for m in pair)))
            comparison["wilcoxon_by_group"] = [
                _test(test, gate.published(*({MUNICIPALITY: m, GROUP: test[GROUP]}
                                             for m in pair)))
                for test in comparison["wilcoxon_by_group"]]
        if len(municipalities) == 2:
            for key in ("wilcoxon", "wilcoxon_by_group"):
                entry[key] = entry["comparisons"][0][key]
    published["demographics"] = {c: respondents.apply(rows)
                                 for c, rows in published["demographics"].items()}
    rates = published["response_rates"]
    rates["by_stratum"] = respondents.apply(rates["by_stratum"])
    rates["by_municipality"] = respondents.apply(rates["by_municipality"])
    rates["total"] = respondents.mark(rates["total"])
    published["strata"] = rates["by_stratum"]
    published["multiplicity"] = multiplicity_figures(published["items"], municipalities[1:])
    published["publication"] = {"published": True, "min_cell": plan["min_cell"],
                                "reasons": REASONS}
    return published


def _comparison(comparison: dict, gate: _Gate, groups: Sequence[str]) -> dict:
    pair = (comparison["reference"], comparison[MUNICIPALITY])
    found = {**comparison}
    found["difference"] = _test(comparison["difference"],
                                gate.published(*({MUNICIPALITY: m} for m in pair)))
    found["difference_by_group"] = [
        _test(d, gate.published(*({MUNICIPALITY: m, GROUP: d[GROUP]} for m in pair)))
        for d in comparison["difference_by_group"]]
    found["cmh"] = _cmh(comparison["cmh"], gate, pair)
    return found


def _test(figure: dict | None, inputs_published: bool) -> dict | None:
    if figure is None:
        return None
    return {**figure, "withheld": None} if inputs_published else withhold(
        figure, COMPUTED_FROM_WITHHELD)


def _cmh(cmh: dict, gate: _Gate, pair: Sequence[str]) -> dict:
    """CMH again over the strata whose two cells are published."""
    kept, left_out = {}, []
    for stratum in cmh["strata_tables"]:
        cells = [{MUNICIPALITY: m, GROUP: stratum[GROUP]} for m in pair]
        if gate.published(*cells):
            kept[stratum[GROUP]] = stratum
        else:
            left_out.append({GROUP: stratum[GROUP], "withheld": COMPUTED_FROM_WITHHELD})
    if not left_out:
        return {**cmh, "withheld": None, "left_out": []}
    if not kept:
        return withhold(cmh, COMPUTED_FROM_WITHHELD) | {"left_out": left_out}
    tables = {g: TwoByTwo(**{k: s[k] for k in ("yes_first", "no_first", "yes_second",
                                                "no_second")}) for g, s in kept.items()}
    again = plain(mantel_haenszel(tables))
    again["strata_tables"] = list(kept.values())
    return again | {"withheld": None, "left_out": left_out}


def _overall(overall: dict, gate: _Gate) -> dict:
    """The Pearson test across municipalities again over those whose share is published."""
    rows = overall["table"]
    kept = [r for r in rows if gate.published({MUNICIPALITY: r[MUNICIPALITY]})]
    if len(kept) == len(rows):
        return {**overall, "withheld": None, "left_out": []}
    left_out = [{MUNICIPALITY: r[MUNICIPALITY], "withheld": COMPUTED_FROM_WITHHELD}
                for r in rows if r not in kept]
    again = plain(homogeneity({r[MUNICIPALITY]: (r["yes"], r["no"]) for r in kept}))
    again["table"] = kept
    return again | {"withheld": None, "left_out": left_out}


def _model(data: SurveyData, item: str, gate: _Gate, genders: Sequence[str],
           fallback: bool) -> dict:
    """A model on the gender categories whose every cell is published (all of ``genders``
    unless ``fallback`` allows fewer), without gender when fewer than two remain, or
    withheld when a stratum it needs is."""
    municipalities, groups = data.levels[MUNICIPALITY], data.levels[GROUP]

    def cells_published(gender: str) -> bool:
        return gate.published(*({MUNICIPALITY: m, GROUP: g, GENDER: gender}
                                for m in municipalities for g in groups))

    usable = [g for g in genders if cells_published(g)]
    left_out = [{GENDER: g, "withheld": COMPUTED_FROM_WITHHELD} for g in genders
                if g not in usable]
    levels: dict[str, Sequence[str]] = {MUNICIPALITY: municipalities, GROUP: groups}
    if len(usable) >= 2 and (fallback or not left_out):
        levels[GENDER] = usable
    elif genders and not fallback:
        return {"gender_levels": list(genders), "coefficients": [],
                "withheld": COMPUTED_FROM_WITHHELD, "left_out": left_out}
    elif not gate.published(*({MUNICIPALITY: m, GROUP: g}
                              for m in municipalities for g in groups)):
        return {"gender_levels": [], "coefficients": [],
                "withheld": COMPUTED_FROM_WITHHELD, "left_out": left_out}
    return model_figures(data, item, levels) | {"withheld": None, "left_out": left_out}
