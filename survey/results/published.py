"""The one gate between ``analysis.report.build`` and everything a chief can see.

Pages, charts and the report workbook read figures only through :class:`Published`, which
applies the report's disclosure plan (``report["disclosure"]``, docs/disclosure.md): a
withheld figure comes back as ``None`` and is shown as "–" with the footnote "fewer than N
responses". Figures the plan does not list are derived here from the ones it does, and are
withheld whenever one of the counts they are computed from is:

- a weighted share combines its domain's stratum shares with the (public) invited counts,
  so it is withheld when any stratum share or respondent count of the domain is;
- a comparison of two municipalities (difference, exact and chi-square tests) is computed
  from the two municipalities' counts, the group-adjusted test (CMH) from their strata;
- of the logistic model only the municipality terms are published, and only when both
  municipalities' shares are: its gender terms would tell how a gender of one answered.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from analysis.data import GROUP, MUNICIPALITY

Cell = frozenset


def _cell(values: Mapping[str, Any]) -> Cell:
    return frozenset((k, v) for k, v in values.items() if k in (MUNICIPALITY, GROUP, "gender",
                                                                 "age_band"))


#: where each binary item's shares stand in the report, and the columns of their cells
SHARE_LISTS = ("cells", "by_municipality", "by_group", "cells_by_gender", "cells_by_age_band")


class Published:
    """The figures of one report with its disclosure plan applied."""

    def __init__(self, report: Mapping[str, Any]) -> None:
        self.report = report
        plan = report["disclosure"]
        self.min_cell: int = plan["min_cell"]
        self._hidden = {item: {_cell(e["cell"]) for e in entries}
                        for item, entries in plan["items"].items()}
        self._hidden_respondents = {_cell(e["cell"]) for e in plan["respondents"]}
        self._shares: dict[str, dict[Cell, dict]] = {}
        for item, figures in report["items"].items():
            found = {_cell({}): figures["total"]}
            for name in SHARE_LISTS:
                found.update({_cell(entry): entry for entry in figures.get(name, [])})
            self._shares[item] = found

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.report["meta"]

    def item_withheld(self, item: str, **cell: str) -> bool:
        return _cell(cell) in self._hidden.get(item, ())

    def share(self, item: str, **cell: str) -> dict | None:
        """``n, yes, share, wilson_lower, wilson_upper`` of ``item`` in ``cell`` (keyword
        columns: municipality, group, gender, age_band), or None when withheld."""
        if self.item_withheld(item, **cell):
            return None
        return self._shares[item].get(_cell(cell))

    def respondents(self, **cell: str) -> int | None:
        """How many responded in ``cell`` (all, a municipality, a stratum), or None."""
        if _cell(cell) in self._hidden_respondents:
            return None
        rates = self.report["response_rates"]
        if not cell:
            return rates["total"]["responded"]
        if set(cell) == {MUNICIPALITY}:
            rows = rates["by_municipality"]
        else:
            rows = rates["by_stratum"]
        for row in rows:
            if all(row.get(k) == v for k, v in cell.items()):
                return row["responded"]
        return None

    def response_rate(self, **cell: str) -> tuple[int, int | None, float | None]:
        """(invited, responded, rate) of ``cell``; responded and rate None when withheld."""
        rates = self.report["response_rates"]
        if not cell:
            row = rates["total"]
        else:
            rows = rates["by_municipality"] if set(cell) == {MUNICIPALITY} else rates[
                "by_stratum"]
            row = next(r for r in rows if all(r.get(k) == v for k, v in cell.items()))
        responded = self.respondents(**cell)
        rate = row["response_rate"] if responded is not None else None
        return row["invited"], responded, rate

    def _strata(self, municipalities: Iterable[str]) -> list[dict[str, str]]:
        return [{MUNICIPALITY: m, GROUP: g} for m in municipalities for g in self.meta["groups"]]

    def _all_published(self, item: str, cells: Iterable[dict[str, str]]) -> bool:
        return all(not self.item_withheld(item, **c) and self.respondents(**c) is not None
                   for c in cells)

    def weighted(self, item: str, domain: str) -> dict | None:
        """The post-stratified share of ``item`` in a municipality or ``"total"``:
        ``{"share", "lower", "upper"}``, or None when a stratum it combines is withheld."""
        municipalities = self.meta["municipalities"] if domain == "total" else [domain]
        if not self._all_published(item, self._strata(municipalities)):
            return None
        for entry in self.report["items"][item]["weighted"]:
            if entry[MUNICIPALITY] == domain:
                estimate = entry[entry["default"]]
                if estimate is None:
                    return None
                return {"share": estimate["share"], "lower": estimate["wald_lower"],
                        "upper": estimate["wald_upper"]}
        return None

    def comparison(self, item: str, other: str) -> dict | None:
        """The reference municipality against ``other`` for ``item``, with the parts whose
        counts are published (``difference``, ``difference_by_group``, ``cmh``,
        ``municipality_terms`` of the logistic model, ``adjusted`` p-values); None when
        either municipality's share is withheld."""
        reference = self.meta["reference_municipality"]
        if self.share(item, municipality=reference) is None or self.share(
                item, municipality=other) is None:
            return None
        figures = self.report["items"][item]
        found = next(c for c in figures["comparisons"] if c[MUNICIPALITY] == other)
        by_group = [d if self._all_published(item, [{MUNICIPALITY: m, GROUP: d[GROUP]}
                                                    for m in (reference, other)]) else None
                    for d in found["difference_by_group"]]
        cmh = found["cmh"] if self._all_published(item, self._strata((reference, other))) \
            else None
        logistic = figures["logistic"]
        terms = [c for c in logistic.get("coefficients", [])
                 if c["variable"] == MUNICIPALITY and c["level"] == other]
        adjusted = next((a for a in self.report["multiplicity"]["comparisons"]
                         if a["item"] == item and a[MUNICIPALITY] == other), None)
        return {"difference": found["difference"], "difference_by_group": by_group,
                "cmh": cmh, "municipality_terms": terms,
                "separation": bool(logistic.get("levels_with_zero_events_or_nonevents")),
                "adjusted": adjusted}

    def distribution(self, item: str, **cell: str) -> dict | None:
        """An ordinal item's distribution in ``cell`` (stratum, municipality, group or all)."""
        if self.item_withheld(item, **cell):
            return None
        figures = self.report["ordinal"][item]["distribution"]
        if not cell:
            return figures["total"]
        name = ("cells" if len(cell) == 2 else "by_municipality" if MUNICIPALITY in cell
                else "by_group")
        return next((e for e in figures[name] if _cell(e) == _cell(cell)), None)
