"""The microdata as csv, xlsx, SPSS (.sav) and Stata (.dta) files, and the invited counts.

Every writer takes a :class:`~exports.microdata.Microdata` and a path; none decides what is
in the file (that is :func:`exports.microdata.prepare`). csv and xlsx hold the codes of the
tidy row, which ``paverkan stats --questionnaire`` reads back; SPSS and Stata get variable
labels, value labels and declared missing values (:mod:`exports.missing`), with names and
labels fitted by :mod:`exports.naming`.
"""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import xlsxwriter

from exports import naming
from exports.cells import neutralise
from exports.microdata import Column, Microdata
from exports.redaction import KIND_LABELS

FORMATS = ("csv", "xlsx", "sav", "dta")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "sav": "application/x-spss-sav",
    "dta": "application/x-stata-dta",
}


def write(microdata: Microdata, file_format: str, path: str | Path) -> None:
    """Write ``microdata`` to ``path`` as ``file_format`` (one of :data:`FORMATS`)."""
    writers = {"csv": write_csv, "xlsx": write_xlsx, "sav": write_sav, "dta": write_dta}
    writers[file_format](microdata, Path(path))


def _coded(microdata: Microdata) -> pd.DataFrame:
    """The frame with codes as whole numbers (empty when missing) and text neutralised."""
    frame = microdata.frame.copy()
    for column in microdata.columns:
        values = frame[column.name]
        if column.storage == "number":
            frame[column.name] = pd.array(values.to_numpy(dtype=float), dtype="Float64"
                                          ).astype("Int64")
        else:
            frame[column.name] = [neutralise(v) if isinstance(v, str) else v for v in values]
    return frame


def write_csv(microdata: Microdata, path: Path) -> None:
    """UTF-8 with a byte-order mark and ``;``: what Swedish Excel opens with å, ä, ö intact."""
    _coded(microdata).to_csv(path, sep=";", index=False, encoding="utf-8-sig",
                             lineterminator="\r\n")


def write_invited(microdata: Microdata, path: Path) -> None:
    """The invited counts per stratum that ``paverkan stats --invited`` reads."""
    invited = microdata.invited.copy()
    for column in ("municipality", "group"):
        invited[column] = invited[column].astype(str).map(neutralise)
    invited.to_csv(path, sep=";", index=False, encoding="utf-8-sig", lineterminator="\r\n")


def write_xlsx(microdata: Microdata, path: Path) -> None:
    """Sheets: the data (codes), the variables with their labels, and what the file is.

    Written cell by cell with XlsxWriter in constant-memory mode: pandas' ``to_excel`` would
    turn text starting with ``=`` into a formula, and keeps the whole sheet in memory.
    """
    lang = microdata.lang
    workbook = xlsxwriter.Workbook(str(path), {"constant_memory": True,
                                               "strings_to_formulas": False,
                                               "strings_to_urls": False,
                                               "strings_to_numbers": False})
    try:
        header = workbook.add_format({"bold": True})
        data = workbook.add_worksheet("Data")
        names = [c.name for c in microdata.columns]
        data.write_row(0, 0, names, header)
        data.freeze_panes(1, 0)
        numeric = [c.storage == "number" for c in microdata.columns]
        for row, values in enumerate(microdata.frame[names].itertuples(index=False), start=1):
            data.write_row(row, 0, [_cell(v, n) for v, n in zip(values, numeric, strict=True)])
        variables = workbook.add_worksheet("Variabler" if lang != "en" else "Variables")
        variables.write_row(0, 0, _VARIABLE_HEADER[lang != "en"], header)
        for row, column in enumerate(microdata.columns, start=1):
            variables.write_row(row, 0, [neutralise(column.name),
                                         neutralise(microdata.text(column.label)),
                                         neutralise(_codes_text(microdata, column))])
        about = workbook.add_worksheet("Om filen" if lang != "en" else "About")
        for row, (key, value) in enumerate(about_rows(microdata)):
            about.write_string(row, 0, neutralise(key), header)
            about.write_string(row, 1, neutralise(value))
    finally:
        workbook.close()


_VARIABLE_HEADER = {True: ["Variabel", "Etikett", "Koder"],
                    False: ["Variable", "Label", "Codes"]}


def _cell(value: object, numeric: bool) -> object:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if numeric:
        return int(value)
    return neutralise(str(value))


def _codes_text(microdata: Microdata, column: Column) -> str:
    codes = [f"{o.code} = {microdata.text(o.label)}" for o in column.options]
    codes += [f"{m.code} = {microdata.text(m.label)}" for m in column.missing]
    return "; ".join(codes)


def about_rows(microdata: Microdata) -> list[tuple[str, str]]:
    """What a file says about itself: round, instrument, fingerprint, the rules applied."""
    sv = microdata.lang != "en"
    rows = [
        ("Omgång" if sv else "Round", microdata.title),
        ("Frågeformulär" if sv else "Questionnaire",
         microdata.codebook.title(microdata.lang)),
        ("Fingeravtryck" if sv else "Fingerprint", microdata.codebook.fingerprint),
        ("Namn i SPSS och Stata" if sv else "Names in SPSS and Stata", naming_note(sv)),
        ("Svar" if sv else "Responses", str(len(microdata.frame))),
        ("Små grupper" if sv else "Small groups", microdata.rule()),
        ("Saknade värden" if sv else "Missing values", missing_note(microdata.lang)),
        ("Fritext" if sv else "Free text", free_text_note(microdata)),
    ]
    return rows


def naming_note(sv: bool) -> str:
    if sv:
        return ("Namn som är för långa för formatet (SPSS 64 byte, Stata 32 tecken) eller "
                "reserverade blir sina första tecken, ”_” och fyra hexadecimala siffror ur "
                "namnets SHA-256; etiketter som är för långa kortas med ”…”. Kodboken har "
                "alla namn och hela texterna.")
    return ("Names too long for the format (SPSS 64 bytes, Stata 32 characters) or reserved "
            "become their first characters, \"_\" and four hexadecimal digits of the name's "
            "SHA-256; labels too long are cut with \"…\". The codebook has every name and "
            "the full texts.")


def missing_note(lang: str) -> str:
    if lang == "en":
        return ("csv/xlsx: -1 not asked, -2 asked but no answer, the questionnaire's codes for "
                "'don't know' and 'prefer not to answer'; empty: computed indicator without "
                "a substantive answer. SPSS: the same as negative codes (-1, -2, -8, -9), "
                "range -99 to -1 declared missing. Stata: .a, .b, .d, .r. See the codebook.")
    return ("csv/xlsx: -1 inte tillfrågad, -2 tillfrågad men inget svar, frågeformulärets "
            "koder för ”vet inte” och ”vill inte svara”; tomt: beräknad indikator utan sakligt "
            "svar. SPSS: samma som negativa koder (-1, -2, -8, -9), intervallet -99 till -1 "
            "deklarerat som saknat. Stata: .a, .b, .d, .r. Se kodboken.")


def free_text_note(microdata: Microdata) -> str:
    sv = microdata.lang != "en"
    if not microdata.free_text:
        return "Ingår inte." if sv else "Not included."
    counts = microdata.redaction.counts if microdata.redaction else {}
    masked = ", ".join(f"{KIND_LABELS[kind](microdata.lang).lower()} {count}"
                       for kind, count in counts.items())
    return (f"Maskerad före export ({masked})." if sv else f"Masked before export ({masked}).")


def _labelled(microdata: Microdata, limits: naming.Limits):
    """Names, variable labels and value labels fitted to ``limits``."""
    names = naming.short_names([c.name for c in microdata.columns], limits)
    labels = {names[c.name]: naming.variable_label(microdata.text(c.label), limits)
              for c in microdata.columns}
    return names, labels


def write_sav(microdata: Microdata, path: Path) -> None:
    import pyreadstat

    names, labels = _labelled(microdata, naming.SPSS)
    frame = pd.DataFrame(index=microdata.frame.index)
    value_labels, missing_ranges, measures = {}, {}, {}
    for column in microdata.columns:
        name = names[column.name]
        values = microdata.frame[column.name]
        measures[name] = column.measure
        if column.storage == "string":
            frame[name] = values.fillna("").astype(str)
            continue
        recode = {m.code: m.spss for m in column.missing}
        frame[name] = pd.to_numeric(values, errors="coerce").astype(float).replace(recode)
        texts = {float(o.code): microdata.text(o.label) for o in column.options}
        texts |= {float(m.spss): microdata.text(m.label) for m in column.missing}
        if texts:
            value_labels[name] = naming.value_labels(texts, naming.SPSS)
        if column.missing:
            missing_ranges[name] = [{"lo": -99.0, "hi": -1.0}]
    pyreadstat.write_sav(frame, str(path), file_label=naming.fit(microdata.title, 64, True),
                         column_labels=labels, variable_value_labels=value_labels,
                         missing_ranges=missing_ranges, variable_measure=measures,
                         note=[line for key, value in about_rows(microdata)
                               for line in _lines(f"{key}: {value}", SPSS_NOTE_BYTES)])


#: SPSS keeps a file's notes ("documents") as lines of 80 bytes.
SPSS_NOTE_BYTES = 80


def _lines(text: str, width: int) -> list[str]:
    """``text`` wrapped at spaces into lines of at most ``width`` UTF-8 bytes."""
    lines, current = [], ""
    for word in text.split():
        while len(word.encode()) > width:
            word = naming.fit(word, width, True)
        candidate = f"{current} {word}" if current else word
        if len(candidate.encode()) > width:
            lines.append(current)
            candidate = word
        current = candidate
    return [*lines, current] if current else lines


#: How many leading values narwhals reads to decide whether a pandas object column is text.
_SNIFFED_ROWS = 100


def _numbers_first(frame: pd.DataFrame, columns: list[str]) -> list[int]:
    """Row positions with, first, for every column mixing numbers and missing letters, the
    first row (in content order) that holds a number there, unless an earlier chosen row
    already does; then all the other rows.

    pyreadstat asks narwhals for each column's type, and narwhals decides from the first
    100 values: a column whose first 100 rows are all ``.a`` ("not asked") would be taken for
    text and the write would fail. The moved rows are chosen by content alone, so the order
    still says nothing about when a response arrived. (At most one row per column moves,
    so up to 100 such columns are safe.)
    """
    chosen: list[int] = []
    for column in columns:
        numbers = pd.to_numeric(frame[column], errors="coerce").notna().to_numpy()
        if numbers.any() and not numbers[chosen].any():
            chosen.append(int(numbers.argmax()))
    rest = sorted(set(range(len(frame))) - set(chosen))
    return [*sorted(chosen), *rest]


def write_dta(microdata: Microdata, path: Path) -> None:
    import pyreadstat

    lang = microdata.lang
    names, labels = _labelled(microdata, naming.STATA)
    frame = pd.DataFrame(index=microdata.frame.index)
    value_labels, missing = {}, {}
    for column in microdata.columns:
        name = names[column.name]
        values = microdata.frame[column.name]
        if column.storage == "string":
            frame[name] = values.fillna("").astype(str)
            continue
        numbers = pd.to_numeric(values, errors="coerce").astype(float)
        if column.missing:
            spelled = numbers.astype(object)
            for code in column.missing:
                spelled[numbers == code.code] = code.stata
            frame[name] = spelled
            missing[name] = [m.stata for m in column.missing]
        else:
            frame[name] = numbers
        texts: dict = {o.code: microdata.text(o.label) for o in column.options}
        texts |= {m.stata: microdata.text(m.label) for m in column.missing}
        if texts:
            value_labels[name] = naming.value_labels(texts, naming.STATA)
    frame = frame.iloc[_numbers_first(frame, list(missing))].reset_index(drop=True)
    rule = "Se kodboken: små strata uteslutna" if lang != "en" else (
        "See the codebook: small strata left out")
    pyreadstat.write_dta(frame, str(path),
                         file_label=naming.fit(f"{microdata.title}. {rule}", 80, False),
                         column_labels=labels, variable_value_labels=value_labels,
                         missing_user_values=missing)
