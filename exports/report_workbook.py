"""The report workbook (.xlsx): every published figure of a round, for a chief's own tables.

Written with XlsxWriter from the *published form* of a report (``analysis.report.build``):
a withheld figure is already without counts there and is written as "–" with a footnote
("fewer than N responses"). Shares are numbers (fractions with a percent format), never
text; every text cell is written with ``write_string``, so a label that begins with "=" stays
text and no spreadsheet runs it as a formula. Sheets: summary, response rates, one per section
(page) of the questionnaire that has reported items, comparisons, over time (when there are
earlier rounds, compared or left out), method.

This module knows neither the web app nor the database (``exports`` sits below ``survey``):
the caller passes the report, the questionnaire, a few facts about the round and the
workbook's words in the reader's language (:class:`exports.report_texts.ReportTexts`), so
the workbook reads in the language its reader reads the results pages in.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, BinaryIO

import xlsxwriter

from exports.report_texts import ReportTexts
from questionnaires import tidy
from questionnaires.model import Questionnaire, VariableKind

WITHHELD = "–"
HEADLINE = ("exposed_any", "exposed_threat", "exposed_violence", "exposed_bribe", "d1_ja",
            "d2_ja")
_SHEET_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")


@dataclass(frozen=True)
class RoundInfo:
    """What the workbook says about the round besides its figures."""

    title: str
    reference_year: int
    extracted_on: str  # ISO date the responses were read
    fingerprint: str
    software_version: str
    #: earlier rounds for the over-time sheet: (title, reference year, published report),
    #: oldest first; only closed rounds the caller found comparable.
    earlier: Sequence[tuple[str, int, Mapping[str, Any]]] = field(default_factory=tuple)
    #: earlier rounds left out of the over-time sheet: (title, why in the reader's words),
    #: e.g. a round still open, whose figures are not published yet
    not_comparable: Sequence[tuple[str, str]] = field(default_factory=tuple)


class _Writer:
    def __init__(self, target: str | BinaryIO, report: Mapping[str, Any],
                 questionnaire: Questionnaire, info: RoundInfo, texts: ReportTexts) -> None:
        self.book = xlsxwriter.Workbook(target, {"in_memory": True,
                                                 "strings_to_formulas": False,
                                                 "strings_to_urls": False})
        self.report, self.questionnaire, self.info = report, questionnaire, info
        self.texts, self.language = texts, texts.language
        heading = texts.headings
        self.share_header = [heading.municipality, heading.group, heading.responses,
                             heading.share, heading.lower, heading.upper]
        self.min_cell = report["publication"]["min_cell"]
        self.bold = self.book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self.percent = self.book.add_format({"num_format": "0.0%"})
        self.decimal = self.book.add_format({"num_format": "0.000"})
        self.p_format = self.book.add_format({"num_format": "0.0000"})
        self.whole = self.book.add_format({"num_format": "0"})
        self.title = self.book.add_format({"bold": True, "font_size": 14})
        self.wrap = self.book.add_format({"text_wrap": True, "valign": "top"})
        self.labels = dict(texts.labels)
        self.used_names: set[str] = set()

    def _text(self, text) -> str:
        """A questionnaire text in the reader's language, ``{year}`` filled in."""
        return text.render(self.language, self.info.reference_year)

    # cells

    def sheet(self, name: str):
        name = _SHEET_FORBIDDEN.sub(" ", name)[:31].strip()
        base, number = name, 2
        while name.lower() in self.used_names:
            suffix = f" {number}"
            name, number = base[:31 - len(suffix)] + suffix, number + 1
        self.used_names.add(name.lower())
        worksheet = self.book.add_worksheet(name)
        worksheet.widths = {}
        return worksheet

    def put(self, ws, row: int, col: int, value: Any, fmt=None) -> None:
        """A number as a number, None as "–", anything else as text (never a formula)."""
        if value is None:
            ws.write_string(row, col, WITHHELD)
            width = 2
        elif isinstance(value, bool):
            ws.write_string(row, col, self.texts.yes if value else self.texts.no)
            width = 4
        elif isinstance(value, (int, float)):
            ws.write_number(row, col, value, fmt)
            width = 9
        else:
            ws.write_string(row, col, str(value), fmt)
            width = min(60, max(len(line) for line in str(value).split("\n")) + 2)
        ws.widths[col] = max(ws.widths.get(col, 8), width)

    def header(self, ws, row: int, names: Sequence[str]) -> None:
        for col, name in enumerate(names):
            ws.write_string(row, col, name, self.bold)
            ws.widths[col] = max(ws.widths.get(col, 8), min(len(name) + 2, 30))

    def finish(self, ws, header_row: int = 0) -> None:
        ws.freeze_panes(header_row + 1, 0)
        for col, width in ws.widths.items():
            ws.set_column(col, col, width)

    def footnote(self, ws, row: int) -> int:
        ws.write_string(row + 1, 0, self.texts.withheld_note)
        return row + 2

    def share_row(self, ws, row: int, first: Sequence[Any], entry: Mapping | None) -> None:
        for col, value in enumerate(first):
            self.put(ws, row, col, value)
        col = len(first)
        published = entry is not None and not entry.get("withheld")
        self.put(ws, row, col, entry["n"] if published else None, self.whole)
        for offset, key in enumerate(("share", "wilson_lower", "wilson_upper"), start=1):
            self.put(ws, row, col + offset, entry[key] if published else None, self.percent)

    # sheets

    def summary(self) -> None:
        ws = self.sheet(self.texts.sheets.summary)
        heading, everyone = self.texts.headings, self.texts.everyone
        header = [heading.indicator, *self.share_header, heading.weighted_share,
                  heading.weighted_lower, heading.weighted_upper]
        self.header(ws, 0, header)
        row = 1
        items = [i for i in HEADLINE if i in self.report["items"]]
        chart_rows: dict[str, tuple[int, int]] = {}
        for item in items:
            figures = self.report["items"][item]
            start = row
            for cell in figures["cells"]:
                self.share_row(ws, row, [self.labels[item], cell["municipality"], cell["group"]],
                               cell)
                row += 1
            chart_rows[item] = (start, row - 1)
            for entry in figures["by_municipality"]:
                self.share_row(ws, row, [self.labels[item], entry["municipality"], everyone],
                               entry)
                self._weighted(ws, row, len(header) - 3, figures, entry["municipality"])
                row += 1
            self.share_row(ws, row, [self.labels[item], everyone, everyone], figures["total"])
            self._weighted(ws, row, len(header) - 3, figures, "total")
            row += 1
        row = self.footnote(ws, row)
        ws.write_string(row, 0, self.texts.summary_note)
        if "exposed_any" in chart_rows:
            self.share_chart(ws, "exposed_any", chart_rows["exposed_any"], row + 2)
        self.finish(ws)

    def _weighted(self, ws, row: int, col: int, figures: Mapping, domain: str) -> None:
        entry = next((w for w in figures["weighted"] if w["municipality"] == domain), None)
        estimate = None
        if entry is not None and not entry.get("withheld"):
            estimate = entry[entry["default"]]
        for offset, key in enumerate(("share", "wald_lower", "wald_upper")):
            self.put(ws, row, col + offset, estimate[key] if estimate else None, self.percent)

    def share_chart(self, ws, item: str, rows: tuple[int, int], at: int) -> None:
        """A native column chart of the shares in ``rows`` (label columns B:C, share E) with
        the 95 % interval as custom error bars from two helper columns."""
        first, last = rows
        helper = 12  # columns M and N, right of the table
        heading = self.texts.headings
        for col, name in ((helper, heading.interval_plus), (helper + 1, heading.interval_minus)):
            ws.write_string(0, col, name, self.bold)
            ws.widths[col] = 22
        for offset, cell in enumerate(self.report["items"][item]["cells"]):
            published = not cell.get("withheld")
            plus = cell["wilson_upper"] - cell["share"] if published else 0
            minus = cell["share"] - cell["wilson_lower"] if published else 0
            self.put(ws, first + offset, helper, plus, self.percent)
            self.put(ws, first + offset, helper + 1, minus, self.percent)
        sheet = ws.name
        ref = "'" + sheet.replace("'", "''") + "'"
        chart = self.book.add_chart({"type": "column"})
        chart.add_series({
            "name": heading.share,
            "categories": [sheet, first, 1, last, 2],
            "values": [sheet, first, 4, last, 4],
            "fill": {"color": "#0B4F8A"},
            "y_error_bars": {"type": "custom",
                             "plus_values": f"={ref}!$M${first + 1}:$M${last + 1}",
                             "minus_values": f"={ref}!$N${first + 1}:$N${last + 1}"},
        })
        chart.set_title({"name": self.labels[item][:80]})
        chart.set_y_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_legend({"none": True})
        chart.set_size({"width": 640, "height": 340})
        ws.insert_chart(at, 0, chart)

    def response_rates(self) -> None:
        ws = self.sheet(self.texts.sheets.response_rates)
        heading, everyone = self.texts.headings, self.texts.everyone
        self.header(ws, 0, [heading.municipality, heading.group, heading.invited,
                            heading.responded, heading.response_rate])
        rates = self.report["response_rates"]
        rows = [(r["municipality"], r["group"], r) for r in rates["by_stratum"]]
        rows += [(r["municipality"], everyone, r) for r in rates["by_municipality"]]
        rows.append((everyone, everyone, rates["total"]))
        for row, (municipality, group, entry) in enumerate(rows, start=1):
            published = not entry.get("withheld")
            self.put(ws, row, 0, municipality)
            self.put(ws, row, 1, group)
            self.put(ws, row, 2, entry.get("invited"), self.whole)
            self.put(ws, row, 3, entry["responded"] if published else None, self.whole)
            self.put(ws, row, 4, entry["response_rate"] if published else None, self.percent)
        self.footnote(ws, len(rows) + 1)
        self.finish(ws)
        chart = self.book.add_chart({"type": "bar"})
        chart.add_series({"name": heading.response_rate,
                          "categories": [ws.name, 1, 0, len(rates["by_stratum"]), 1],
                          "values": [ws.name, 1, 4, len(rates["by_stratum"]), 4],
                          "fill": {"color": "#0B4F8A"}})
        chart.set_x_axis({"num_format": "0%", "min": 0, "max": 1})
        chart.set_legend({"none": True})
        chart.set_title({"name": self.texts.response_rate_chart})
        ws.insert_chart(len(rows) + 4, 0, chart)

    def sections(self) -> None:
        indicators = {i.source: i.name for i in tidy.indicators(self.questionnaire) if i.source}
        for page in self.questionnaire.pages:
            variables = [v for q in page.questions for v in q.variables]
            binary = [indicators[v.name] for v in variables
                      if indicators.get(v.name) in self.report["items"]]
            ordinal = [v for v in variables if v.kind is VariableKind.ORDINAL
                       and v.name in self.report.get("ordinal", {})]
            if not binary and not ordinal:
                continue
            ws = self.sheet(self._text(page.title))
            self.header(ws, 0, [self.texts.headings.question, *self.share_header])
            row = 1
            for item in binary:
                figures = self.report["items"][item]
                for cell in figures["cells"]:
                    self.share_row(ws, row, [self.labels[item], cell["municipality"],
                                             cell["group"]], cell)
                    row += 1
                for entry in figures["by_municipality"]:
                    self.share_row(ws, row, [self.labels[item], entry["municipality"],
                                             self.texts.everyone], entry)
                    row += 1
            for variable in ordinal:
                row = self.distribution(ws, row + 1, variable)
            self.footnote(ws, row)
            self.finish(ws)

    def distribution(self, ws, row: int, variable) -> int:
        figures = self.report["ordinal"][variable.name]["distribution"]
        levels = [o for o in variable.options if o.substantive]
        heading = self.texts.headings
        ws.write_string(row, 0, self._text(variable.label), self.bold)
        self.header(ws, row + 1, [heading.question, heading.municipality, heading.group,
                                  heading.responses, *(self._text(o.label) for o in levels)])
        row += 2
        entries = [(e["municipality"], e["group"], e) for e in figures["cells"]]
        entries += [(e["municipality"], self.texts.everyone, e)
                    for e in figures["by_municipality"]]
        for municipality, group, entry in entries:
            published = not entry.get("withheld")
            self.put(ws, row, 0, variable.name)
            self.put(ws, row, 1, municipality)
            self.put(ws, row, 2, group)
            self.put(ws, row, 3, entry["n"] if published else None, self.whole)
            shares = entry.get("shares") if published else None
            for offset in range(len(levels)):
                self.put(ws, row, 4 + offset, shares[offset] if shares else None, self.percent)
            row += 1
        return row

    def comparisons(self) -> None:
        ws = self.sheet(self.texts.sheets.comparisons)
        heading = self.texts.headings
        header = [heading.indicator, heading.municipality, heading.compared_with,
                  heading.share_municipality, heading.share_compared, heading.difference,
                  heading.lower, heading.upper, heading.fisher_p, heading.pearson_p,
                  heading.cmh_p, heading.holm_p, heading.bh_p]
        self.header(ws, 0, header)
        row = 1
        for item, figures in self.report["items"].items():
            for comparison in figures["comparisons"]:
                difference = comparison["difference"]
                published = difference is not None and not difference.get("withheld")
                cmh = comparison.get("cmh") or {}
                adjusted = next((a for a in self.report["multiplicity"]["comparisons"]
                                 if a["item"] == item
                                 and a["municipality"] == comparison["municipality"]), {})
                chisq = adjusted.get("chisq_p") or {}
                values = [self.labels.get(item, item), comparison["reference"],
                          comparison["municipality"]]
                for col, value in enumerate(values):
                    self.put(ws, row, col, value)
                numbers = [(difference or {}).get(k) if published else None
                           for k in ("share_first", "share_second", "difference",
                                     "newcombe_lower", "newcombe_upper")]
                for offset, value in enumerate(numbers):
                    self.put(ws, row, 3 + offset, value, self.percent)
                tests = [(difference or {}).get("fisher_p") if published else None,
                         (difference or {}).get("chisq_p") if published else None,
                         None if cmh.get("withheld") else cmh.get("p_value"),
                         chisq.get("holm"), chisq.get("BH")]
                for offset, value in enumerate(tests):
                    self.put(ws, row, 8 + offset, value, self.p_format)
                row += 1
        row = self.footnote(ws, row)
        for line in self.texts.comparison_notes:
            ws.write_string(row, 0, line)
            row += 1
        self.finish(ws)

    def over_time(self) -> None:
        """This round beside the earlier ones compared, then a note naming the earlier rounds
        left out and why; no sheet when there is no earlier round at all."""
        if not self.info.earlier and not self.info.not_comparable:
            return
        ws = self.sheet(self.texts.sheets.over_time)
        heading = self.texts.headings
        self.header(ws, 0, [heading.indicator, heading.round, heading.reference_year,
                            *self.share_header])
        row = 1
        rounds = [*self.info.earlier, (self.info.title, self.info.reference_year, self.report)]
        for item in HEADLINE:
            for title, year, report in rounds:
                figures = report["items"].get(item)
                if figures is None:
                    continue
                for entry in figures["by_municipality"]:
                    self.share_row(ws, row, [self.labels[item], title, year,
                                             entry["municipality"], self.texts.everyone],
                                   entry)
                    row += 1
        row = self.footnote(ws, row)
        if self.info.not_comparable:
            ws.write_string(row + 1, 0, self.texts.left_out, self.bold)
            for offset, (title, reason) in enumerate(self.info.not_comparable, start=2):
                ws.write_string(row + offset, 0, title)
                ws.write_string(row + offset, 1, reason)
        self.finish(ws)

    def method(self) -> None:
        ws = self.sheet(self.texts.sheets.method)
        texts = self.texts.method
        ws.write_string(0, 0, texts.title, self.title)
        meta = self.report["meta"]
        rows: list[tuple[str, Any]] = [
            (texts.round, self.info.title),
            (texts.reference_year, self.info.reference_year),
            (texts.extracted_on, self.info.extracted_on),
            (texts.fingerprint, self.info.fingerprint),
            (texts.software_version, self.info.software_version),
            (texts.responses, meta["n_rows"]),
            (texts.min_cell, self.min_cell),
            (texts.small_cells, texts.small_cells_rule),
            (texts.confidence_level, meta["conf_level"]),
            (texts.shares, texts.shares_rule),
            (texts.weighting, texts.weighting_rule),
            (texts.tests, texts.tests_rule),
            (texts.reference_municipality, meta["reference_municipality"]),
        ]
        for row, (key, value) in enumerate(rows, start=2):
            self.put(ws, row, 0, key, self.bold)
            self.put(ws, row, 1, value, self.wrap)
        row = len(rows) + 3
        self.header(ws, row, [self.texts.headings.indicator, self.texts.headings.definition])
        row += 1
        for derived in self.questionnaire.derived:
            description = self._text(derived.description) if derived.description else ""
            self.put(ws, row, 0, self.labels.get(derived.name, derived.name))
            self.put(ws, row, 1, f"{self._text(derived.label)}. {description}".strip(),
                     self.wrap)
            row += 1
        ws.set_column(1, 1, 90)
        ws.widths.pop(1, None)
        self.finish(ws)


def write(target: str | BinaryIO, report: Mapping[str, Any], questionnaire: Questionnaire,
          info: RoundInfo, texts: ReportTexts) -> None:
    """Write the report workbook of ``report`` (the published form) to ``target``, in the
    words of ``texts``."""
    if not report.get("publication", {}).get("published"):
        raise ValueError("the workbook is written from the published form of a report only")
    writer = _Writer(target, report, questionnaire, info, texts)
    writer.summary()
    writer.response_rates()
    writer.sections()
    writer.comparisons()
    writer.over_time()
    writer.method()
    writer.book.close()
