"""Recipient lists from HR and the kansli: parse a CSV or XLSX file into a preview report.

Nothing here touches the database. The admin page and `paverkan recipients import` both call
`parse()` and show its report; only a clean report is ever stored (by the admin operations),
so a list that silently loses or duplicates rows cannot reach the round.

The parser is deliberately forgiving about the *shape* (encodings and separators Excel writes,
header names in Swedish or English) and strict about the *content* (every address, municipality
and group checked, every problem reported with the row number the user sees in Excel).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import re
import unicodedata
import zipfile
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass, field

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l

from survey.forms import has_control_characters, max_length, visible
from survey.models import Invitation

#: Largest upload we accept; a county list of 50,000 rows is about 3 MB.
DEFAULT_MAX_BYTES = 16 * 1024 * 1024
#: An .xlsx is a zip; refuse to inflate more than this (a zip bomb expands to gigabytes).
MAX_XLSX_UNCOMPRESSED = 64 * 1024 * 1024
#: A real worksheet compresses perhaps 10:1; a bomb compresses 1000:1.
MAX_XLSX_RATIO = 200
#: openpyxl parses about 2 MB of sheet XML (40,000 cells) a second and holds the shared
#: strings in memory: a file that passes the ratio check can still take minutes and
#: gigabytes. A list of 50,000 people is 9 MB of sheet XML, 2 MB of strings, 200,000 cells.
MAX_XLSX_PART = 32 * 1024 * 1024
MAX_XLSX_CELLS = 500_000
MAX_ROWS = 1_100_000
#: Municipality and group take the round's spelling; the unit is stored as the file has it.
MAX_UNIT_LENGTH = max_length(Invitation.unit)

EMAIL = "email"
MUNICIPALITY = "municipality"
GROUP = "group"
UNIT = "unit"
REQUIRED = (EMAIL, MUNICIPALITY, GROUP)

# Header spellings seen in real lists, after `_fold()` (case, diacritics and punctuation removed).
HEADER_ALIASES = {
    EMAIL: {"epost", "epostadress", "email", "emailadress", "emailaddress", "mail",
            "mailadress", "mejl", "mejladress", "epostadresser", "adress"},
    MUNICIPALITY: {"kommun", "kommunnamn", "municipality", "kommuner"},
    GROUP: {"grupp", "roll", "group", "role", "kategori", "category", "malgrupp"},
    UNIT: {"enhet", "forvaltning", "unit", "department", "avdelning", "kontor", "sektion",
           "verksamhet", "verksamhetsomrade", "organisation", "organisationsenhet",
           "arbetsplats", "arbetsstalle", "namnd", "bolag", "division", "team", "sektor",
           "kostnadsstalle", "enhetsnamn", "forvaltningsnamn", "avdelningsnamn"},
}
#: A header naming two of these at once ("Förvaltning/Enhet", "Avdelning - enhet") means
#: the field both name.
_HEADER_SEPARATORS = re.compile(r"[/|&,;+]|\s-\s|\soch\s|\sand\s|\seller\s|\sor\s")

# Pragmatic address check: one @, a dotted domain, no spaces or control characters.
_LABEL = r"[A-Za-z0-9\u00c0-\uffff]"
_EMAIL_RE = re.compile(
    rf"^[^@\s\"(),:;<>\[\]\\]+@{_LABEL}(?:[A-Za-z0-9\u00c0-\uffff.-]*{_LABEL})?"
    r"\.[A-Za-z\u00c0-\uffff]{2,}$"
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")

PROBLEM_MESSAGES = {
    "invalid_email": _l("Not a valid e-mail address"),
    "formula_email": _l("The e-mail cell looks like a formula; it was not calculated"),
    "control_character": _l("A cell holds an invisible control character (shown as [U+…]); "
                            "correct the cell"),
    "unit_too_long": _l("The unit name is longer than %(max)s characters",
                        max=MAX_UNIT_LENGTH),
    "missing_email": _l("E-mail address missing"),
    "missing_municipality": _l("Municipality missing"),
    "missing_group": _l("Group missing"),
    "duplicate_in_file": _l("Duplicate in the file"),
    "unknown_municipality": _l("Unknown municipality"),
    "unknown_group": _l("Unknown group"),
    "small_unit": _l("Too few people in this unit (it splits its municipality and group): "
                     "merge it with another unit or leave the unit empty"),
}

FILE_ERROR_MESSAGES = {
    "empty": _l("The file is empty."),
    "too_large": _l("The file is larger than %(limit)s MB."),
    "too_many_rows": _l("The file has more than %(limit)s rows."),
    "not_text": _l("The file is neither a CSV file nor an Excel file (.xlsx)."),
    "bad_xlsx": _l("The Excel file cannot be read. Save it as .xlsx or CSV and try again."),
    "zip_bomb": _l("The Excel file unpacks to an unreasonable amount of data and is not read."),
    "xlsx_too_large": _l("The Excel file unpacks to more than %(limit)s MB and is not read. "
                         "Save the list as CSV, or remove sheets and columns it does not need."),
    "too_many_cells": _l("The sheet has more than %(limit)s cells (rows times columns) and is "
                         "not read. Save the list as CSV, or remove columns it does not need."),
    "unknown_sheet": _l("There is no sheet %(sheet)s. Sheets in the file: %(sheets)s."),
    "sheet_for_csv": _l("A CSV file has no sheets: leave the sheet empty (it is for Excel "
                        "files)."),
    "missing_columns": _l(
        "Columns missing: %(missing)s. The first row must name the columns e-mail, "
        "municipality and group (e.g. E-post, Kommun, Grupp; unit is optional). "
        "Headers found: %(found)s."
    ),
    "ambiguous_columns": _l("Several columns mean the same thing: %(columns)s."),
}

COLUMN_LABELS = {
    EMAIL: _l("e-mail"), MUNICIPALITY: _l("municipality"), GROUP: _l("group"), UNIT: _l("unit"),
}


class RecipientFileError(ValueError):
    """The file as a whole cannot be read as a recipient list; nothing in it is usable."""

    def __init__(self, code: str, **params: object) -> None:
        self.code = code
        self.params = params
        super().__init__(code)

    @property
    def message(self) -> LazyString:
        """Translated when shown, in the page's language (or English on the terminal)."""
        return LazyString(lambda: str(FILE_ERROR_MESSAGES[self.code]) % {
            k: str(v) for k, v in self.params.items()
        })


@dataclass(frozen=True)
class Recipient:
    row: int
    email: str
    municipality: str
    group: str
    unit: str | None

    @property
    def stratum(self) -> tuple[str, str, str | None]:
        return (self.municipality, self.group, self.unit)


@dataclass(frozen=True)
class Problem:
    """One bad row: `row` is the spreadsheet row number (the header is row 1)."""

    row: int
    code: str
    value: str
    first_row: int | None = None  # for duplicates within the file: where it first appeared

    @property
    def message(self) -> LazyString:
        return PROBLEM_MESSAGES[self.code]


@dataclass(frozen=True)
class Report:
    """What the admin sees before confirming. `ok` means: storing `recipients` loses nothing."""

    recipients: tuple[Recipient, ...]
    problems: tuple[Problem, ...]
    empty_rows: tuple[int, ...]
    columns: dict[str, str]  # our field -> the header as written in the file
    ignored_columns: tuple[str, ...]
    #: (row, address) of people already in the round: a supplementary list skips them.
    already_in_round: tuple[tuple[int, str], ...] = ()
    sheet: str | None = None
    sheets: tuple[str, ...] = ()
    strata: dict[tuple[str, str, str | None], int] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.recipients)



def _fold(text: str) -> str:
    """Header key: 'E-postadress ' -> 'epostadress', 'Förvaltning' -> 'forvaltning'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if c.isalnum() and not unicodedata.combining(c))


def _value_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def _cell_text(value: object) -> str:
    """Everything is text: formulas stay their source string, 12.0 becomes '12'."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return unicodedata.normalize("NFC", str(value)).strip()


def is_valid_email(address: str) -> bool:
    return (len(address) <= 254 and _EMAIL_RE.match(address) is not None
            and not has_control_characters(address))


def parse(
    data: bytes,
    filename: str,
    *,
    municipalities: Iterable[str],
    groups: Iterable[str],
    existing_emails: Iterable[str] = (),
    existing_strata: Mapping[tuple[str, str, str | None], int] | None = None,
    min_unit_size: int = 1,
    sheet: str | None = None,
    max_bytes: int = DEFAULT_MAX_BYTES,
    max_cells: int = MAX_XLSX_CELLS,
) -> Report:
    """Read a recipient list and check every row against the round's lists.

    `municipalities` and `groups` are the round's values; a file may spell them in any case
    ("LINKÖPING") and the recipient gets the round's spelling. `existing_emails` are the
    addresses already in the round, `existing_strata` its recipients per (municipality,
    group, unit). A unit that splits its stratum must have at least `min_unit_size` people:
    the unit is copied into every response, so a unit of two names its two respondents.
    Raises `RecipientFileError` when the file is unusable as a whole; row-level problems are
    in the report.
    """
    if not data:
        raise RecipientFileError("empty")
    if len(data) > max_bytes:
        raise RecipientFileError("too_large", limit=max_bytes // (1024 * 1024))
    sheets: tuple[str, ...] = ()
    if data[:4] == b"PK\x03\x04" or filename.lower().endswith((".xlsx", ".xlsm")):
        rows, sheet, sheets = _xlsx_rows(data, sheet, max_cells)
    elif sheet is not None:
        raise RecipientFileError("sheet_for_csv")
    else:
        rows = _csv_rows(data)
    report = _check(rows, municipalities, groups, existing_emails, sheet, sheets)
    small = _small_units(report, existing_strata or {}, min_unit_size)
    if small:
        problems = sorted(report.problems + tuple(small), key=lambda p: p.row)
        report = dataclasses.replace(report, problems=tuple(problems))
    return report


def _small_units(report: Report, existing, min_unit_size: int) -> list[Problem]:
    """One problem per too-small unit, at its first row in the file. A stratum that is all
    one unit reveals nothing the stratum does not, so only units that split one count.
    People without a unit are no unit: the dashboard counts a few of them inside their
    stratum's largest unit and the microdata export merges them into "Övriga enheter", so
    there is nothing to refuse (and "leave the unit empty" would be no way out)."""
    counts = Counter(existing)
    counts.update(report.strata)
    units: dict[tuple[str, str], set] = {}
    for municipality, group, unit in counts:
        units.setdefault((municipality, group), set()).add(unit)
    problems = []
    reported = set()
    for recipient in report.recipients:
        stratum = recipient.stratum
        if stratum in reported or not stratum[2] or len(units[stratum[:2]]) < 2:
            continue
        if counts[stratum] < min_unit_size:
            reported.add(stratum)
            problems.append(Problem(recipient.row, "small_unit",
                                    f"{recipient.unit} ({counts[stratum]})"))
    return problems


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict")
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16")  # Excel's "Unicode text"
    if b"\x00" in data:
        raise RecipientFileError("not_text")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        pass
    try:
        text = data.decode("cp1252")
    except UnicodeDecodeError:
        raise RecipientFileError("not_text") from None
    # cp1252 decodes almost any byte soup; real lists are mostly printable.
    sample = text[:65536]
    odd = sum(1 for c in sample if not (c.isprintable() or c in "\r\n\t"))
    if odd > len(sample) // 100:
        raise RecipientFileError("not_text")
    return text


def _csv_rows(data: bytes) -> Iterator[list[str]]:
    try:
        text = _decode(data)
    except UnicodeDecodeError:
        raise RecipientFileError("not_text") from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(";,\t", key=first_line.count)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    try:
        for row in reader:
            yield [unicodedata.normalize("NFC", c).strip() for c in row]
    except csv.Error:
        raise RecipientFileError("not_text") from None


def _check_zip(data: bytes) -> None:
    """Refuse a zip bomb, and a package too large to parse in seconds, before openpyxl
    inflates anything (it reads the shared strings whole when it opens the workbook)."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
    except (zipfile.BadZipFile, ValueError, EOFError):
        raise RecipientFileError("bad_xlsx") from None
    total = 0
    for member in members:
        total += member.file_size
        ratio = member.file_size / max(member.compress_size, 1)
        if member.file_size > 1024 * 1024 and ratio > MAX_XLSX_RATIO:
            raise RecipientFileError("zip_bomb")
        if total > MAX_XLSX_UNCOMPRESSED or member.file_size > MAX_XLSX_PART:
            raise RecipientFileError("xlsx_too_large", limit=MAX_XLSX_PART // (1024 * 1024))


def _xlsx_rows(data: bytes, sheet: str | None, max_cells: int):
    """Rows of the chosen (or first) sheet as text; formulas are never evaluated. At most
    `max_cells` cells: judged first by the size the sheet declares, then counted as read
    (a sheet may declare less than it holds, or nothing)."""
    from openpyxl import load_workbook

    _check_zip(data)
    try:
        # data_only=False: a formula cell yields its source text, not a computed value.
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=False)
    except Exception:  # openpyxl raises many kinds for a broken package
        raise RecipientFileError("bad_xlsx") from None
    sheets = tuple(workbook.sheetnames)
    if not sheets:
        raise RecipientFileError("bad_xlsx")
    if sheet is None:
        sheet = sheets[0]
    elif sheet not in sheets:
        workbook.close()
        raise RecipientFileError("unknown_sheet", sheet=sheet, sheets=", ".join(sheets))
    try:
        worksheet = workbook[sheet]
    except Exception:
        workbook.close()
        raise RecipientFileError("bad_xlsx") from None
    too_many = RecipientFileError("too_many_cells", limit=f"{max_cells:,}".replace(",", " "))
    if (worksheet.max_row or 0) * (worksheet.max_column or 0) > max_cells:
        workbook.close()
        raise too_many

    def rows() -> Iterator[list[str]]:
        cells = 0
        try:
            for values in worksheet.iter_rows(values_only=True):
                cells += max(len(values), 1)
                if cells > max_cells:
                    raise too_many
                yield [_cell_text(v) for v in values]
        except RecipientFileError:
            raise
        except Exception:
            raise RecipientFileError("bad_xlsx") from None
        finally:
            workbook.close()

    return rows(), sheet, sheets


def header_field(name: str) -> str | None:
    """The field a header names: an alias ("Förvaltning"), or several aliases of the same
    field joined ("Förvaltning/Enhet"); ``None`` for a column the import does not use."""
    whole = _fold(name)
    parts = [_fold(part) for part in _HEADER_SEPARATORS.split(f" {name} ")]
    keys = [whole] if _alias_of(whole) else [part for part in parts if part]
    fields = {_alias_of(key) for key in keys}
    return fields.pop() if len(fields) == 1 else None


def _alias_of(key: str) -> str | None:
    return next((f for f, aliases in HEADER_ALIASES.items() if key in aliases), None)


def _map_header(header: list[str]) -> tuple[dict[str, int], dict[str, str], tuple[str, ...]]:
    positions: dict[str, list[int]] = {}
    ignored = []
    for index, name in enumerate(header):
        field_name = header_field(name)
        if field_name is None:
            if name:
                ignored.append(name)
            continue
        positions.setdefault(field_name, []).append(index)
    ambiguous = [header[i] for idx in positions.values() if len(idx) > 1 for i in idx]
    if ambiguous:
        raise RecipientFileError("ambiguous_columns", columns=", ".join(ambiguous))
    missing = [f for f in REQUIRED if f not in positions]
    if missing:
        raise RecipientFileError(
            "missing_columns",
            missing=LazyString(lambda: ", ".join(str(COLUMN_LABELS[f]) for f in missing)),
            found=", ".join(h for h in header if h) or "–",
        )
    index = {f: idx[0] for f, idx in positions.items()}
    return index, {f: header[i] for f, i in index.items()}, tuple(ignored)


def _check(rows, municipalities, groups, existing_emails, sheet, sheets) -> Report:
    known_municipalities = {_value_key(m): m for m in municipalities}
    known_groups = {_value_key(g): g for g in groups}
    in_round = {e.casefold() for e in existing_emails}
    rows = iter(rows)
    empty_rows: list[int] = []
    header = None
    row_number = 0
    for row in rows:
        row_number += 1
        if any(row):
            header = row
            break
        empty_rows.append(row_number)
    if header is None:
        raise RecipientFileError("empty")
    index, columns, ignored = _map_header(header)
    width = max(index.values()) + 1
    e_i, m_i, g_i = index[EMAIL], index[MUNICIPALITY], index[GROUP]
    u_i = index.get(UNIT)

    recipients: list[Recipient] = []
    problems: list[Problem] = []
    already: list[tuple[int, str]] = []
    seen: dict[str, int] = {}
    for row in rows:
        row_number += 1
        if row_number > MAX_ROWS:
            raise RecipientFileError("too_many_rows", limit=MAX_ROWS)
        if len(row) < width:
            row = row + [""] * (width - len(row))
        if not any(row):
            empty_rows.append(row_number)
            continue
        email, municipality, group = row[e_i], row[m_i], row[g_i]
        unit = (row[u_i] or None) if u_i is not None else None
        hidden = next((c for c in (email, municipality, group, unit or "")
                       if has_control_characters(c)), None)
        if hidden is not None:
            problems.append(Problem(row_number, "control_character", visible(hidden)))
            continue
        before = len(problems)
        if not email:
            problems.append(Problem(row_number, "missing_email", ""))
        elif email.startswith(_FORMULA_START):
            problems.append(Problem(row_number, "formula_email", email))
        elif not is_valid_email(email):
            problems.append(Problem(row_number, "invalid_email", email))
        else:
            key = email.casefold()
            if key in seen:
                problems.append(Problem(row_number, "duplicate_in_file", email, seen[key]))
            elif key in in_round:
                seen[key] = row_number
                already.append((row_number, email))
                continue
            else:
                seen[key] = row_number
        canonical_municipality = known_municipalities.get(_value_key(municipality))
        if not municipality:
            problems.append(Problem(row_number, "missing_municipality", ""))
        elif canonical_municipality is None:
            problems.append(Problem(row_number, "unknown_municipality", municipality))
        canonical_group = known_groups.get(_value_key(group))
        if not group:
            problems.append(Problem(row_number, "missing_group", ""))
        elif canonical_group is None:
            problems.append(Problem(row_number, "unknown_group", group))
        if unit is not None and len(unit) > MAX_UNIT_LENGTH:
            problems.append(Problem(row_number, "unit_too_long", unit))
        if len(problems) == before:
            recipients.append(
                Recipient(row_number, email, canonical_municipality, canonical_group, unit)
            )
    strata = Counter(r.stratum for r in recipients)
    return Report(
        recipients=tuple(recipients),
        problems=tuple(problems),
        empty_rows=tuple(empty_rows),
        columns=columns,
        ignored_columns=ignored,
        already_in_round=tuple(already),
        sheet=sheet,
        sheets=sheets,
        strata=dict(sorted(strata.items(), key=lambda kv: tuple(x or "" for x in kv[0]))),
    )
