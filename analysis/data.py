"""The tidy table every statistic runs on, and how it is read from CSV files.

One row per response: the stratum columns (``municipality``, ``group``), the covariates
(``gender``, ``age_band``) when present, and one column per variable. Item values are floats:
``NaN`` is a missing answer (skipped, empty, or a non-substantive code such as "Vill inte
svara"), :data:`~questionnaires.model.NOT_ASKED` marks a respondent outside the item's universe
(the filter did not ask them), anything else is the answer code. Keeping the two apart matters:
a filtered respondent is not a non-response and must not lower the item's response count.

Input is checked before any figure is computed, and every mistake found is reported at once
as an :class:`InputError` naming the file, the row (spreadsheet numbering: the header is row
1) and the column: a wrong count would otherwise come out as a plausible but false response
rate or weight, not as a crash.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from questionnaires.model import (
    NOT_ASKED,
    SKIPPED,
    Questionnaire,
    Variable,
    VariableKind,
    group_code,
)

MUNICIPALITY = "municipality"
GROUP = "group"
GENDER = "gender"
AGE_BAND = "age_band"
STRATUM_COLUMNS = (MUNICIPALITY, GROUP)
COVARIATE_COLUMNS = (GENDER, AGE_BAND)
#: Columns that are never items even when they hold numbers.
NON_ITEM_COLUMNS = frozenset({"resp_id", "fingerprint", "submitted", *STRATUM_COLUMNS,
                              *COVARIATE_COLUMNS})

#: The study's categories in publication order; the first level of each is the reference
#: of the regression models (set explicitly: alphabetical order would make the tiny
#: ``annat`` group the reference gender). Levels found in the data but not listed here
#: follow in sorted order.
DEFAULT_LEVELS: Mapping[str, tuple[str, ...]] = {
    MUNICIPALITY: ("Linköping", "Norrköping"),
    GROUP: ("förtroendevald", "medarbetare"),
    GENDER: ("kvinna", "man", "annat", "vill ej svara"),
    AGE_BAND: ("18-29", "30-44", "45-59", "60+"),
}

#: The instrument's background questions that give the covariates when the responses carry
#: no text column for them (the default instrument's names): each substantive
#: option becomes the level named by its lower-cased Swedish label, in option order.
BACKGROUND_VARIABLES: Mapping[str, str] = {GENDER: "e1", AGE_BAND: "e2"}

#: ``DataFrame.attrs`` key under which :func:`read_responses` and :func:`read_invited` keep
#: the file a frame was read from, so problems found later can name it.
SOURCE = "source"
#: How many problems an :class:`InputError` lists before it only counts the rest.
MAX_LISTED_PROBLEMS = 20
INVITED = "invited"

#: An integer column with codes from 0 up to below this is read as an ordinal item when no
#: questionnaire says otherwise (larger values are counts, e.g. years in role).
MAX_INFERRED_ORDINAL_LEVELS = 11


@dataclass(frozen=True)
class InputProblem:
    """One mistake in an input table.

    ``row`` counts as a spreadsheet does (the header is row 1, the first response row 2;
    0 for the file as a whole); ``column`` is the column's name ("" when none applies).
    """

    file: str
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.row}" if self.row else self.file
        return f"{where}: {self.column}: {self.message}" if self.column else (
            f"{where}: {self.message}")


class InputError(ValueError):
    """The responses or invited counts cannot be used; ``problems`` lists what was found."""

    def __init__(self, problems: Sequence[InputProblem]) -> None:
        self.problems: tuple[InputProblem, ...] = tuple(problems)
        lines = [str(p) for p in self.problems[:MAX_LISTED_PROBLEMS]]
        if len(self.problems) > MAX_LISTED_PROBLEMS:
            lines.append(f"... and {len(self.problems) - MAX_LISTED_PROBLEMS} more problems")
        super().__init__("\n".join(lines))


@dataclass(frozen=True)
class Inference:
    """How :func:`from_frame` typed the columns when nobody told it, so the report can say
    so: a stray code silently turning a yes/no item into a scale must be visible.

    ``ordinal`` maps each ordinal item to the codes found; ``not_items`` maps each other
    column to the reason it was left out.
    """

    binary: tuple[str, ...]
    ordinal: Mapping[str, tuple[int, ...]]
    not_items: Mapping[str, str]

    def note(self) -> str:
        """A few lines for a person: which column was read as which kind, and why not."""
        lines = ["item types inferred from the values (pass --questionnaire to declare them):",
                 f"  binary (all answers 0/1): {', '.join(self.binary) or '-'}"]
        ordinal = [f"{name} ({_code_list(codes)}"
                   f"{'' if _consecutive(codes) else ', not consecutive'})"
                   for name, codes in self.ordinal.items()]
        lines.append(f"  ordinal (whole numbers 0-{MAX_INFERRED_ORDINAL_LEVELS - 1}): "
                     f"{', '.join(ordinal) or '-'}")
        if self.not_items:
            lines.append("  not items: " + ", ".join(f"{name} ({why})"
                                                     for name, why in self.not_items.items()))
        return "\n".join(lines)


@dataclass(frozen=True, eq=False)
class SurveyData:
    """Responses of one round with the invited counts and what each column is.

    ``levels`` gives the category order of ``municipality``, ``group``, ``gender`` and
    ``age_band``; its first level is the reference category.
    """

    responses: pd.DataFrame
    invited: pd.DataFrame
    binary: tuple[str, ...]
    ordinal: tuple[str, ...]
    levels: Mapping[str, tuple[str, ...]]
    ordinal_levels: Mapping[str, tuple[int, ...]] = field(default_factory=dict)
    #: How the item types were inferred; ``None`` when a questionnaire or the caller gave them.
    inference: Inference | None = None

    def universe(self, item: str) -> pd.DataFrame:
        """Rows that were asked ``item`` (answered, skipped or refused)."""
        return self.responses[self.responses[item] != NOT_ASKED]

    def answered(self, item: str) -> pd.DataFrame:
        """Rows with a substantive answer to ``item`` (available-case analysis)."""
        values = self.responses[item]
        return self.responses[(values != NOT_ASKED) & values.notna()]

    def n_missing(self, item: str) -> int:
        """Respondents who were asked ``item`` but gave no substantive answer."""
        return int(self.universe(item)[item].isna().sum())

    @property
    def covariates(self) -> tuple[str, ...]:
        return tuple(c for c in COVARIATE_COLUMNS if c in self.responses.columns)


def read_responses(path: str | Path) -> pd.DataFrame:
    """Read a tidy response CSV (UTF-8): categories as text, items as numbers, empty = missing.

    Item columns are read as text and converted by :func:`from_frame`, which can then name
    the row of a value that is not a number instead of quietly making it missing.
    """
    frame = _read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    frame.attrs[SOURCE] = str(path)
    return frame


def read_invited(path: str | Path) -> pd.DataFrame:
    """Read invited counts: one row per ``municipality, group`` with ``invited``.

    Raises :class:`InputError` for a missing column, a count that is not a whole number
    of at least 0, and a stratum listed twice (summing them would hide a copy-paste error).
    """
    frame = _read_csv(path, dtype=str, keep_default_na=False)
    frame.attrs[SOURCE] = str(path)
    return _checked_invited(frame)


def _read_csv(path: str | Path, **options: object) -> pd.DataFrame:
    """``pandas.read_csv`` with its failures (not text, not UTF-8, ragged rows) named by file.

    Takes both comma-separated UTF-8 and what Swedish Excel writes and the microdata export
    produces: ``;`` between values and a byte-order mark in front.
    """
    try:
        return pd.read_csv(path, encoding="utf-8-sig", sep=_separator(path), **options)
    except UnicodeDecodeError:
        raise InputError([_not_utf8(Path(path))]) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError) as error:
        message = f"not a readable CSV table: {str(error).strip()}"
        raise InputError([InputProblem(str(path), 0, "", message)]) from None


def _separator(path: str | Path) -> str:
    """``;`` when the header line has semicolons and no commas, else ``,``."""
    try:
        with open(path, "rb") as file:
            header = file.readline()
    except OSError:
        return ","  # pandas names the problem
    return ";" if b";" in header and b"," not in header else ","


def _not_utf8(path: Path) -> InputProblem:
    """Where the first byte that is not UTF-8 is (pandas reports an offset in its buffer),
    so a spreadsheet saved as Latin-1 can be recognised and saved again as CSV UTF-8."""
    data = path.read_bytes()
    try:
        data.decode("utf-8")
    except UnicodeDecodeError as error:
        before = data[:error.start]
        line = before.count(b"\n") + 1
        column = error.start - (before.rfind(b"\n") + 1) + 1
        return InputProblem(str(path), line, "",
                            f"not a UTF-8 text file (byte 0x{data[error.start]:02x} at "
                            f"character {column}); save the table as CSV UTF-8")
    return InputProblem(str(path), 0, "", "not a UTF-8 text file")


def _name(frame: pd.DataFrame, default: str) -> str:
    return frame.attrs.get(SOURCE, default)


def _row(position: int) -> int:
    """The spreadsheet row of a 0-based data position (the header is row 1)."""
    return position + 2


def _checked_invited(invited: pd.DataFrame) -> pd.DataFrame:
    """``invited`` with whole-number counts, or :class:`InputError` listing every bad row."""
    name = _name(invited, "invited counts")
    missing = [c for c in (MUNICIPALITY, GROUP, INVITED) if c not in invited.columns]
    if missing:
        raise InputError([InputProblem(name, 1, "", f"the header lacks the columns {missing} "
                                                      f"(found {list(invited.columns)})")])
    problems = []
    counts = []
    first_row: dict[tuple[str, str], int] = {}
    for position, (municipality, group, value) in enumerate(
            invited[[MUNICIPALITY, GROUP, INVITED]].itertuples(index=False)):
        row = _row(position)
        for column, text in ((MUNICIPALITY, municipality), (GROUP, group)):
            if _blank(text):
                problems.append(InputProblem(name, row, column, "is empty"))
        count = _whole_number(value)
        if count is None or count < 0:
            problems.append(InputProblem(
                name, row, INVITED, f"{_shown(value)} is not a whole number of at least 0"))
        counts.append(count)
        stratum = (str(municipality), str(group))
        if stratum in first_row:
            problems.append(InputProblem(
                name, row, f"{MUNICIPALITY}, {GROUP}",
                f"{_stratum(stratum)} is listed again (first on row {first_row[stratum]})"))
        first_row.setdefault(stratum, row)
    if problems:
        raise InputError(problems)
    checked = invited.assign(**{INVITED: np.array(counts, dtype=np.int64)})
    checked.attrs[SOURCE] = name
    return checked


def _check_strata(responses: pd.DataFrame, invited: pd.DataFrame) -> None:
    """Every response belongs to a stratum of the invited counts, and no stratum has more
    responses than people invited (a response rate above 100 % or a weight below 1 means
    the files do not belong together)."""
    responses_name, invited_name = _name(responses, "responses"), _name(invited, "invited counts")
    problems = []
    strata = responses[[MUNICIPALITY, GROUP]]
    blank = strata.isna() | (strata.astype(str).apply(lambda c: c.str.strip()) == "")
    for column in (MUNICIPALITY, GROUP):
        for position in np.flatnonzero(blank[column].to_numpy()):
            problems.append(InputProblem(responses_name, _row(int(position)), column, "is empty"))
    known = strata[~blank.any(axis=1)]
    counts = known.groupby([MUNICIPALITY, GROUP], sort=False).size()
    listed = {(str(m), str(g)): (position, count) for position, (m, g, count) in enumerate(
        invited[[MUNICIPALITY, GROUP, INVITED]].itertuples(index=False))}
    for stratum, responded in counts.items():
        stratum = (str(stratum[0]), str(stratum[1]))
        if stratum not in listed:
            first = int(np.flatnonzero(((strata[MUNICIPALITY] == stratum[0])
                                        & (strata[GROUP] == stratum[1])).to_numpy())[0])
            problems.append(InputProblem(
                responses_name, _row(first), f"{MUNICIPALITY}, {GROUP}",
                f"{_stratum(stratum)} ({responded} responses) has no row in {invited_name}"))
            continue
        position, count = listed[stratum]
        if responded > count:
            problems.append(InputProblem(
                invited_name, _row(position), INVITED,
                f"{count} invited in {_stratum(stratum)} but {responses_name} has "
                f"{responded} responses from it"))
    if problems:
        raise InputError(problems)


def _blank(value: object) -> bool:
    return value is None or (isinstance(value, float) and np.isnan(value)) or (
        str(value).strip() == "")


def _whole_number(value: object) -> int | None:
    """``value`` as an int when it is a whole number ("40", 40, 40.0), else ``None``."""
    if isinstance(value, (int, np.integer)) and not isinstance(value, bool):
        return int(value)
    try:
        number = float(str(value).strip())
    except ValueError:
        return None
    return int(number) if number.is_integer() else None


def _shown(value: object) -> str:
    return "an empty value" if _blank(value) else repr(str(value).strip())


def _stratum(stratum: tuple[str, str]) -> str:
    return f"{stratum[0]} / {stratum[1]}"


def _code_list(codes: Sequence[int]) -> str:
    return "codes " + ", ".join(str(c) for c in codes)


def _consecutive(codes: Sequence[int]) -> bool:
    return not codes or list(codes) == list(range(codes[0], codes[-1] + 1))


def from_frame(responses: pd.DataFrame, invited: pd.DataFrame,
               binary: Sequence[str] | None = None,
               ordinal: Sequence[str] | None = None) -> SurveyData:
    """Build :class:`SurveyData` from a tidy frame, inferring item types when not given.

    Without a questionnaire a column is a binary item only if every answer is 0 or 1, and
    ordinal if every answer is a whole number from 0 to
    ``MAX_INFERRED_ORDINAL_LEVELS - 1``; any other column is left out. The typing is kept
    in :attr:`SurveyData.inference` (the report and ``paverkan stats`` show it), because
    one stray "7" in a yes/no column makes it a scale. Columns given as ``binary`` must
    hold only 0/1. :data:`SKIPPED` becomes missing and :data:`NOT_ASKED` stays, so
    filtered respondents remain outside the universe.

    Raises
    ------
    InputError
        For missing stratum columns, bad invited counts, responses in a stratum that was
        not invited or more responses than invited, and a numeric column with text in it.
    """
    name = _name(responses, "responses")
    _require_columns(responses, STRATUM_COLUMNS, name)
    invited = _checked_invited(invited)
    _check_strata(responses, invited)
    frame = responses.copy()
    candidates = [c for c in frame.columns if c not in NON_ITEM_COLUMNS]
    numeric, text = _numeric_columns(frame, candidates, name)
    for column, values in numeric.items():
        frame[column] = values.replace(SKIPPED, np.nan)
    inference = None
    if binary is None or ordinal is None:
        inference = _infer_types(frame, list(numeric), text)
    binary = tuple(binary if binary is not None else inference.binary)
    ordinal = tuple(ordinal if ordinal is not None else inference.ordinal)
    _check_binary(frame, binary, name)
    return SurveyData(
        responses=frame,
        invited=invited.reset_index(drop=True),
        binary=binary,
        ordinal=ordinal,
        levels=_levels(frame, invited),
        ordinal_levels={item: _codes(frame[item]) for item in ordinal},
        inference=inference,
    )


def _numeric_columns(frame: pd.DataFrame, columns: Sequence[str], name: str,
                     allow_text: bool = True) -> tuple[dict[str, pd.Series], list[str]]:
    """Columns whose values are numbers (as floats), and the text columns.

    With ``allow_text`` a column is text when fewer than half of its values are numbers
    (a free-text answer or a label column); otherwise its values that are not numbers are
    mistakes, reported by row rather than quietly read as missing.
    """
    numeric, text, problems = {}, [], []
    for column in columns:
        values = pd.to_numeric(frame[column], errors="coerce").astype(float)
        bad = values.isna() & frame[column].notna()
        if allow_text and bad.sum() * 2 > frame[column].notna().sum():
            text.append(column)
            continue
        for position in np.flatnonzero(bad.to_numpy()):
            problems.append(InputProblem(
                name, _row(int(position)), column,
                f"{_shown(frame[column].iloc[position])} is not a number (answer codes are "
                f"numbers; {NOT_ASKED} not asked, {SKIPPED} or empty skipped)"))
        numeric[column] = values
    if problems:
        raise InputError(problems)
    return numeric, text


def _check_binary(frame: pd.DataFrame, binary: Sequence[str], name: str) -> None:
    problems = []
    for column in binary:
        values = frame[column].to_numpy(dtype=float)
        bad = ~np.isnan(values) & (values != NOT_ASKED) & (values != 0) & (values != 1)
        for position in np.flatnonzero(bad):
            problems.append(InputProblem(name, _row(int(position)), column,
                                         f"{values[position]:g} in a yes/no (0/1) item"))
    if problems:
        raise InputError(problems)


def from_questionnaire(responses: pd.DataFrame, invited: pd.DataFrame,
                       questionnaire: Questionnaire) -> SurveyData:
    """Build :class:`SurveyData` from raw answer codes using the instrument's definitions.

    Each response is expanded by :func:`questionnaires.tidy.row` (derived indicators, the
    ``_ja`` collapses of frequency items, multiple-choice options missing when the question
    was refused or left empty), so the statistics use exactly the indicators the codebook
    and exports document. Non-substantive codes of ordinal items are missing.

    Without ``gender`` / ``age_band`` text columns the covariates come from the background
    questions (:data:`BACKGROUND_VARIABLES`): levels are the substantive options' labels,
    in the instrument's order (its first option is the reference category); a refusal, a
    skipped or a not-asked question is a missing covariate.
    """
    from questionnaires import tidy

    name = _name(responses, "responses")
    _require_columns(responses, STRATUM_COLUMNS, name)
    invited = _checked_invited(invited)
    _check_strata(responses, invited)
    coded = [v for v in questionnaire.variables if v.kind is not VariableKind.TEXT]
    answer_names = [v.name for v in coded if v.name in responses.columns]
    if not answer_names:
        expected = ", ".join(v.name for v in coded[:6])
        raise InputError([InputProblem(
            name, 1, "", f"no column is a variable of the questionnaire {questionnaire.id!r} "
                         f"({expected}, ...): are these its responses?")])
    codes = _checked_codes(responses, [v for v in coded if v.name in answer_names], name)
    rows = []
    for record in responses.assign(**codes).to_dict(orient="records"):
        answers = {variable: int(record[variable]) for variable in answer_names
                   if not np.isnan(record[variable]) and record[variable] >= 0}
        # The conditions read the stratum as context codes (group 1/2, municipality code).
        code = group_code(str(record[GROUP]))
        if code is not None:
            answers[GROUP] = code
        if str(record[MUNICIPALITY]).isdigit():
            answers[MUNICIPALITY] = int(record[MUNICIPALITY])
        rows.append(tidy.row(questionnaire, answers))
    expanded = pd.DataFrame(rows, index=responses.index)
    found = tidy.indicators(questionnaire)
    ordinal_vars = [v for v in questionnaire.variables if v.kind is VariableKind.ORDINAL]
    keep = [c for c in responses.columns if c in NON_ITEM_COLUMNS]
    items = {name: pd.to_numeric(expanded[name], errors="coerce").astype(float)
             .replace(SKIPPED, np.nan)
             for name in (*(i.name for i in found), *(v.name for v in ordinal_vars))}
    for indicator in found:
        # A collapse of an item the filter did not ask is outside the universe, not missing.
        if indicator.kind is tidy.IndicatorKind.COLLAPSE:
            items[indicator.name][expanded[indicator.source] == NOT_ASKED] = NOT_ASKED
    background = _background(questionnaire, expanded,
                              [c for c in COVARIATE_COLUMNS if c not in responses.columns])
    frame = pd.concat([responses[keep],
                       pd.DataFrame({c: values for c, (values, _) in background.items()},
                                    index=responses.index),
                       pd.DataFrame(items, index=responses.index)], axis=1)
    ordinal_levels = {}
    for variable in ordinal_vars:
        substantive = tuple(o.code for o in variable.options if o.substantive)
        values = frame[variable.name]
        frame.loc[values.notna() & (values != NOT_ASKED) & ~values.isin(substantive),
                  variable.name] = np.nan
        ordinal_levels[variable.name] = substantive
    return SurveyData(
        responses=frame,
        invited=invited.reset_index(drop=True),
        binary=tuple(i.name for i in found),
        ordinal=tuple(v.name for v in ordinal_vars),
        levels=_levels(frame, invited, {**DEFAULT_LEVELS,
                                         **{c: lv for c, (_, lv) in background.items()}}),
        ordinal_levels=ordinal_levels,
    )


def _checked_codes(responses: pd.DataFrame, variables: Sequence[Variable], name: str,
                   ) -> dict[str, pd.Series]:
    """The answer columns as numbers, refusing any value the instrument does not define.

    A code outside a question's options would otherwise become a missing answer (or, in a
    collapse, neither yes nor no) without anyone noticing that the file is not what the
    questionnaire produced.
    """
    numeric, _ = _numeric_columns(responses, [v.name for v in variables], name,
                                  allow_text=False)
    problems = []
    for variable in variables:
        values = numeric[variable.name]
        allowed = {NOT_ASKED, SKIPPED}
        if variable.kind is VariableKind.BINARY:
            allowed |= {0, 1}
        elif variable.options:
            allowed |= {o.code for o in variable.options}
        known = values.isna() | values.isin(allowed)
        if variable.kind is VariableKind.INTEGER:
            whole = (values == np.round(values)) & (values >= 0)
            known |= whole & values.between(variable.minimum if variable.minimum is not None
                                            else -np.inf,
                                            variable.maximum if variable.maximum is not None
                                            else np.inf)
        for position in np.flatnonzero(~known.to_numpy()):
            problems.append(InputProblem(
                name, _row(int(position)), variable.name,
                f"{values.iloc[position]:g} is not an answer to {variable.name} "
                f"({_allowed_text(variable)}; {NOT_ASKED} not asked, {SKIPPED} skipped)"))
    if problems:
        raise InputError(problems)
    return numeric


def _allowed_text(variable: Variable) -> str:
    if variable.kind is VariableKind.BINARY:
        return "0 or 1"
    if variable.kind is VariableKind.INTEGER:
        return f"a whole number from {variable.minimum or 0} to {variable.maximum or 'any'}"
    return _code_list(sorted(o.code for o in variable.options))


def _background(questionnaire: Questionnaire, expanded: pd.DataFrame,
                covariates: Sequence[str]) -> dict[str, tuple[pd.Series, tuple[str, ...]]]:
    """Covariate -> (its text values, NaN when missing; its levels) from the instrument."""
    variables = {v.name: v for v in questionnaire.variables}
    found = {}
    for covariate in covariates:
        variable = variables.get(BACKGROUND_VARIABLES[covariate])
        if variable is None or variable.name not in expanded.columns:
            continue
        labels = {o.code: o.label.sv.lower() for o in variable.options if o.substantive}
        codes = pd.to_numeric(expanded[variable.name], errors="coerce")
        found[covariate] = (codes.map(labels), tuple(labels.values()))
    return found


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], name: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise InputError([InputProblem(name, 1, "", f"the header lacks the columns {missing} "
                                                     f"(found {list(frame.columns)})")])


def _infer_types(frame: pd.DataFrame, numeric: Sequence[str], text: Sequence[str]) -> Inference:
    binary, ordinal, not_items = [], {}, dict.fromkeys(text, "text")
    for column in numeric:
        codes = _codes(frame[column])
        values = frame[column]
        answered = values[values.notna() & (values != NOT_ASKED)]
        if not codes:
            not_items[column] = "no answers"
        elif not np.all(answered == np.round(answered)):
            not_items[column] = "not whole numbers"
        elif set(codes) <= {0, 1}:
            binary.append(column)
        elif min(codes) >= 0 and max(codes) < MAX_INFERRED_ORDINAL_LEVELS:
            ordinal[column] = codes
        else:
            not_items[column] = f"codes {min(codes)} to {max(codes)}"
    return Inference(tuple(binary), ordinal, not_items)


def _codes(values: pd.Series) -> tuple[int, ...]:
    answered = values[values.notna() & (values != NOT_ASKED)]
    return tuple(sorted(int(v) for v in answered.unique()))


def _levels(frame: pd.DataFrame, invited: pd.DataFrame,
            known_levels: Mapping[str, tuple[str, ...]] = DEFAULT_LEVELS,
            ) -> dict[str, tuple[str, ...]]:
    levels = {}
    for column in (*STRATUM_COLUMNS, *COVARIATE_COLUMNS):
        seen: list[str] = []
        for source in (invited, frame):
            if column in source.columns:
                seen += [v for v in source[column].dropna().unique() if v not in seen]
        # A covariate column lists its known levels even when nobody answered (zero counts).
        if not seen and not (column in COVARIATE_COLUMNS and column in frame.columns):
            continue
        known = known_levels[column]
        ordered = [v for v in known if v in seen or column in COVARIATE_COLUMNS]
        levels[column] = (*ordered, *sorted(v for v in seen if v not in known))
    return levels
