"""Lookups into the published form of a report, for pages, charts and the workbook.

``analysis.report.build`` is the one gate (docs/disclosure.md): it returns every figure with
a ``withheld`` field, and a withheld figure carries no counts. This module only finds
figures by their cell and hands back ``None`` for a withheld one, which the pages show as
"–" with the footnote "fewer than N responses"; it decides nothing about disclosure itself.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from analysis.data import AGE_BAND, GENDER, GROUP, MUNICIPALITY

CATEGORIES = (MUNICIPALITY, GROUP, GENDER, AGE_BAND)
#: where each binary item's shares stand in the report
SHARE_LISTS = ("cells", "by_municipality", "by_group", "cells_by_gender", "cells_by_age_band")


def _cell(values: Mapping[str, Any]) -> frozenset:
    return frozenset((k, v) for k, v in values.items() if k in CATEGORIES)


def _published(entry: Mapping[str, Any] | None) -> Mapping[str, Any] | None:
    return None if entry is None or entry.get("withheld") else entry


class Published:
    """The figures of one published report, found by cell."""

    def __init__(self, report: Mapping[str, Any]) -> None:
        if not report.get("publication", {}).get("published"):
            raise ValueError("not the published form of a report (analysis.report.build)")
        self.report = report
        self.min_cell: int = report["publication"]["min_cell"]
        self._shares = {}
        for item, figures in report["items"].items():
            found = {_cell({}): figures["total"]}
            for name in SHARE_LISTS:
                found.update({_cell(entry): entry for entry in figures.get(name, [])})
            self._shares[item] = found
        rates = report["response_rates"]
        self._rates = {_cell({}): rates["total"]}
        for name in ("by_stratum", "by_municipality"):
            self._rates.update({_cell(entry): entry for entry in rates[name]})

    @property
    def meta(self) -> Mapping[str, Any]:
        return self.report["meta"]

    def share(self, item: str, **cell: str) -> Mapping[str, Any] | None:
        """``n, yes, share, wilson_lower, wilson_upper`` of ``item`` in ``cell`` (keyword
        columns: municipality, group, gender, age_band), or None when withheld."""
        return _published(self._shares.get(item, {}).get(_cell(cell)))

    def response_rate(self, **cell: str) -> tuple[int | None, int | None, float | None]:
        """(invited, responded, rate) of ``cell`` (all, a municipality, a stratum); the
        responded count and the rate are None when withheld."""
        entry = self._rates.get(_cell(cell))
        if entry is None:
            return None, None, None
        if entry.get("withheld"):
            return entry.get("invited"), None, None
        return entry["invited"], entry["responded"], entry["response_rate"]

    def weighted(self, item: str, domain: str) -> dict | None:
        """The weighted share of ``item`` in a municipality or ``"total"`` (the report's
        default design): ``{"share", "lower", "upper"}``, or None when withheld."""
        for entry in self.report["items"][item]["weighted"]:
            if entry[MUNICIPALITY] == domain and _published(entry):
                estimate = entry[entry["default"]]
                if estimate is None:
                    return None
                return {"share": estimate["share"], "lower": estimate["wald_lower"],
                        "upper": estimate["wald_upper"]}
        return None

    def comparison(self, item: str, other: str) -> Mapping[str, Any] | None:
        """The reference municipality against ``other``: ``difference`` (None when
        withheld), ``difference_by_group`` (withheld entries None), ``cmh``."""
        figures = self.report["items"][item]
        found = next((c for c in figures["comparisons"] if c[MUNICIPALITY] == other), None)
        if found is None:
            return None
        return {"difference": _published(found["difference"]),
                "difference_by_group": [_published(d) for d in found["difference_by_group"]],
                "cmh": _published(found["cmh"]),
                "left_out": (found["cmh"] or {}).get("left_out") or []}

    def adjusted(self, item: str, other: str) -> Mapping[str, Any] | None:
        """The multiplicity-adjusted p-values of one comparison (families over the
        published p-values only)."""
        return next((a for a in self.report["multiplicity"]["comparisons"]
                     if a["item"] == item and a[MUNICIPALITY] == other), None)

    def distribution(self, item: str, **cell: str) -> Mapping[str, Any] | None:
        """An ordinal item's distribution in ``cell`` (stratum, municipality, group or all)."""
        figures = self.report["ordinal"][item]["distribution"]
        if not cell:
            return _published(figures["total"])
        name = ("cells" if len(cell) == 2 else "by_municipality" if MUNICIPALITY in cell
                else "by_group")
        return _published(next((e for e in figures[name] if _cell(e) == _cell(cell)), None))
