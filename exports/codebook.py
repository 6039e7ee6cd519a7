"""The codebook that goes with a microdata file, as xlsx and Markdown.

Built from the round's frozen instrument (:mod:`questionnaires.codebook`) plus what the
export did: the names each variable has in SPSS and Stata, the missing-value codes in every
format (:mod:`exports.missing`), the small-strata rule and the fingerprint. The Swedish
codebook is Swedish throughout, type and role names included.
"""

from __future__ import annotations

from pathlib import Path

import xlsxwriter

from exports import naming
from exports.cells import neutralise
from exports.microdata import Column, Microdata
from exports.missing import NOT_ASKED_CODE, SKIPPED_CODE, missing_codes
from exports.writers import about_rows
from questionnaires.codebook import ROLE_NAMES, type_name
from questionnaires.model import Option, OptionRole, Text

_HEADER = {
    "sv": ["Variabel", "Namn i SPSS", "Namn i Stata", "Etikett", "Fråga", "Typ",
           "Koder och etiketter", "Saknade värden (csv/xlsx; SPSS; Stata)", "Tillfrågade",
           "Villkor (uttryck)", "Formel", "Formel i ord", "Beskrivning", "I filen"],
    "en": ["Variable", "Name in SPSS", "Name in Stata", "Label", "Question", "Type",
           "Codes and labels", "Missing values (csv/xlsx; SPSS; Stata)", "Asked",
           "Condition (expression)", "Formula", "Formula in words", "Description", "In the file"],
}
_CONTEXT_TYPE = Text("från inbjudan (text)", "from the invitation (text)")
_ROW_NUMBER_TYPE = Text("löpnummer", "row number")
_YES = Text("ja", "yes")
_NOT_IN_FILE = Text("nej: fritext togs inte med", "no: free text was not included")


def rows(microdata: Microdata) -> list[list[str]]:
    """One row per variable of the instrument (and the stratum columns) in file order."""
    lang = microdata.lang
    text = microdata.text
    names = [c.name for c in microdata.columns]
    spss = naming.short_names(names, naming.SPSS)
    stata = naming.short_names(names, naming.STATA)
    in_file = {c.name: c for c in microdata.columns}
    result = []
    for column in microdata.columns:
        if column.entry is None:
            kind = _ROW_NUMBER_TYPE if column.storage == "number" else _CONTEXT_TYPE
            result.append([column.name, spss[column.name], stata[column.name],
                           text(column.label), "", kind(lang), "", "", text(Text("Alla",
                                                                                 "Everyone")),
                           "", "", "", "", text(_YES)])
    for entry in microdata.codebook.entries:
        column = in_file.get(entry.variable)
        result.append([
            entry.variable,
            spss.get(entry.variable, ""),
            stata.get(entry.variable, ""),
            text(entry.label),
            text(entry.question) if entry.question is not None else "",
            type_name(entry, lang),
            _codes_text(microdata, entry),
            _missing_text(microdata, column, entry.codes),
            text(entry.asked),
            entry.asked_if or "",
            entry.formula or "",
            text(entry.formula_words) if entry.formula_words else "",
            text(entry.description) if entry.description else "",
            text(_YES if column is not None else _NOT_IN_FILE),
        ])
    return result


def _codes_text(microdata: Microdata, entry) -> str:
    """Codes with labels and roles, and the condition of an option offered only sometimes."""
    lang = microdata.lang
    offered = {code: f"{microdata.text(words)}: {condition}"
               for code, condition, words in entry.offered_if}
    word = "erbjuds om" if lang != "en" else "offered if"
    return "; ".join(
        f"{o.code} = {microdata.text(o.label)} ({ROLE_NAMES[o.role](lang)}"
        + (f", {word} {offered[o.code]}" if o.code in offered else "") + ")"
        for o in entry.codes)


def _missing_text(microdata: Microdata, column: Column | None,
                  codes: tuple[Option, ...]) -> str:
    missing = column.missing if column is not None else missing_codes(codes)
    return "; ".join(f"{microdata.text(m.label)}: {m.code}, {m.spss}, .{m.stata}"
                     for m in missing)


def write_xlsx(microdata: Microdata, path: str | Path) -> None:
    """Sheet one: the variables; sheet two: the file, its rules and missing values."""
    lang = microdata.lang
    workbook = xlsxwriter.Workbook(str(path), {"strings_to_formulas": False,
                                               "strings_to_urls": False})
    try:
        bold = workbook.add_format({"bold": True})
        wrap = workbook.add_format({"text_wrap": True, "valign": "top"})
        sheet = workbook.add_worksheet("Kodbok" if lang != "en" else "Codebook")
        sheet.write_row(0, 0, _HEADER["en" if lang == "en" else "sv"], bold)
        sheet.freeze_panes(1, 1)
        sheet.set_column(0, 2, 14)
        sheet.set_column(3, 12, 40, wrap)
        for number, values in enumerate(rows(microdata), start=1):
            sheet.write_row(number, 0, [neutralise(v) for v in values])
        about = workbook.add_worksheet("Om filen" if lang != "en" else "About")
        about.set_column(0, 0, 24)
        about.set_column(1, 1, 100, wrap)
        for number, (key, value) in enumerate(about_rows(microdata)):
            about.write_string(number, 0, neutralise(key), bold)
            about.write_string(number, 1, neutralise(value))
    finally:
        workbook.close()


_MISSING_ROWS = (
    (NOT_ASKED_CODE.label, str(NOT_ASKED_CODE.code), str(NOT_ASKED_CODE.spss),
     f".{NOT_ASKED_CODE.stata}"),
    (SKIPPED_CODE.label, str(SKIPPED_CODE.code), str(SKIPPED_CODE.spss),
     f".{SKIPPED_CODE.stata}"),
    (ROLE_NAMES[OptionRole.DONT_KNOW], "*", "-8", ".d"),
    (ROLE_NAMES[OptionRole.REFUSED], "*", "-9", ".r"),
)


def markdown(microdata: Microdata) -> str:
    """The export's own section, then the instrument's codebook."""
    sv = microdata.lang != "en"
    lines = [f"# {microdata.title} – {'mikrodata' if sv else 'microdata'}", ""]
    for key, value in about_rows(microdata):
        lines.append(f"- **{key}**: {value}")
    if microdata.year is not None:
        lines.append(f"- **{'Referensår' if sv else 'Reference year'}**: {microdata.year}")
    lines += ["", "| " + (" | ".join(("Saknat värde", "csv/xlsx", "SPSS", "Stata")) if sv
                         else " | ".join(("Missing value", "csv/xlsx", "SPSS", "Stata"))) + " |",
              "|---|---:|---:|---:|"]
    for label, code, spss, stata in _MISSING_ROWS:
        lines.append(f"| {label(microdata.lang).capitalize()} | {code} | {spss} | {stata} |")
    lines += ["", ("\\* frågans egen kod (se tabellerna nedan)." if sv
                   else "\\* the question's own code (see the tables below)."), ""]
    renamed = [row for row in rows(microdata) if row[1] and (row[1] != row[0]
                                                             or row[2] != row[0])]
    if renamed:
        lines += [f"## {'Förkortade namn' if sv else 'Shortened names'}", "",
                  "| " + " | ".join(_HEADER['sv' if sv else 'en'][:3]) + " |", "|---|---|---|",
                  *(f"| {a} | {b} | {c} |" for a, b, c, *_ in renamed), ""]
    lines.append(microdata.codebook.to_markdown(microdata.lang).replace("# ", "## ", 1))
    return "\n".join(lines)
