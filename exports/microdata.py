"""A round's anonymous microdata: one tidy row per response, ready for any file format.

:func:`prepare` is the one place that decides what leaves the system as microdata, whatever
the format: the rows (every variable of the instrument with derived indicators, computed by
:func:`questionnaires.tidy.row` exactly as the statistics compute them), the order (by
content, never by arrival), the small-strata rule and whether free text comes along
(only through :mod:`exports.redaction`). The writers in :mod:`exports.writers` only spell
the result.

Small strata: a stratum (municipality × group) with fewer responses than the round's minimum
cell size is left out with its invited count, and only its name is stated; within a stratum
a unit with fewer responses than the minimum is merged into "Övriga enheter", together with
the next smallest units until that group too reaches the minimum. The rule is written into
the file (:attr:`Microdata.rule`) and the codebook.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from exports.missing import NOT_ASKED_CODE, MissingCode, missing_codes
from exports.redaction import Redaction, Redactor
from questionnaires import codebook as codebooks
from questionnaires import tidy
from questionnaires.model import (
    CONTEXT_VARIABLES,
    NOT_ASKED,
    Option,
    Questionnaire,
    Text,
    VariableKind,
    group_code,
)

MUNICIPALITY, GROUP, UNIT, INVITED, RESPONSE_NUMBER = (
    "municipality", "group", "unit", "invited", "resp_id")
OTHER_UNITS = Text("Övriga enheter", "Other units")


@dataclass(frozen=True)
class Column:
    """One column of the microdata and how every format describes it."""

    name: str
    label: Text
    #: ``number`` (codes or counts), ``string`` (stratum names, free text)
    storage: str
    #: ``nominal``, ``ordinal`` or ``scale`` (SPSS's measurement levels)
    measure: str
    options: tuple[Option, ...] = ()
    missing: tuple[MissingCode, ...] = ()
    #: the codebook entry the column comes from (``None`` for the stratum columns)
    entry: codebooks.CodebookEntry | None = None


@dataclass(frozen=True)
class Microdata:
    frame: pd.DataFrame
    invited: pd.DataFrame
    columns: tuple[Column, ...]
    questionnaire: Questionnaire
    codebook: codebooks.Codebook
    title: str
    min_cell: int
    dropped_strata: tuple[tuple[str, str], ...] = ()
    merged_units: tuple[tuple[str, str], ...] = ()
    redaction: Redaction | None = None
    free_text: bool = False
    lang: str = "sv"
    #: the round's reference year, put in for ``{year}`` in every text
    year: int | None = None

    def text(self, text: Text) -> str:
        """``text`` in the file's language with the round's year."""
        return text.render(self.lang, self.year)

    def rule(self, lang: str | None = None) -> str:
        """The small-strata rule and what it did to this file, in words."""
        return strata_rule(self.min_cell, self.dropped_strata, self.merged_units,
                           lang or self.lang)


def strata_rule(min_cell: int, dropped: Sequence[tuple[str, str]],
                merged: Sequence[tuple[str, str]], lang: str) -> str:
    sv = lang != "en"
    text = (f"Strata (kommun × grupp) med färre än {min_cell} svar ingår inte, varken svar "
            f"eller antal inbjudna. Enheter med färre än {min_cell} svar slås inom sitt "
            f"stratum ihop till ”{OTHER_UNITS.sv}” (med de näst minsta enheterna tills "
            f"gruppen har minst {min_cell} svar). Bakgrundsfrågor finns bara i "
            "frågeformulärets grova klasser. Raderna är sorterade efter innehåll, inte efter "
            "när svaren kom in."
            if sv else
            f"Strata (municipality × group) with fewer than {min_cell} responses are left out, "
            f"responses and invited counts alike. Units with fewer than {min_cell} responses "
            f"are merged within their stratum into \"{OTHER_UNITS.en}\" (with the next "
            f"smallest units until that group has at least {min_cell} responses). Background "
            "questions come only in the questionnaire's coarse bands. Rows are sorted by "
            "content, not by when the responses arrived.")
    if dropped:
        names = ", ".join(f"{m} / {g}" for m, g in dropped)
        text += (f" Utelämnade strata: {names}." if sv else f" Strata left out: {names}.")
    if merged:
        names = ", ".join(f"{m} / {g}" for m, g in merged)
        text += (f" Sammanslagna enheter i: {names}." if sv else f" Units merged in: {names}.")
    return text


def prepare(responses: pd.DataFrame, invited: pd.DataFrame, questionnaire: Questionnaire,
            *, title: str, min_cell: int, year: int | None = None, lang: str = "sv",
            free_text: bool = False, names: Iterable[str] = ()) -> Microdata:
    """The microdata of a round.

    ``responses`` has one row per response: ``municipality``, ``group``, optionally ``unit``,
    and a column per answer variable holding the stored answer (a code, a number, a text;
    empty when the respondent gave none). ``invited`` has ``municipality``, ``group`` and
    ``invited``. Free text is left out unless ``free_text``; then it is masked by
    :class:`~exports.redaction.Redactor` with the default names and ``names``.
    """
    counts = responses.groupby([MUNICIPALITY, GROUP], sort=True).size()
    small = tuple((str(m), str(g)) for (m, g), n in counts.items() if n < min_cell)
    keep = ~_in_strata(responses, small)
    responses = responses[keep]
    invited = invited[~_in_strata(invited, small)].reset_index(drop=True)
    codebook = codebooks.build(questionnaire)
    entries = [e for e in codebook.entries if free_text or e.kind is not VariableKind.TEXT]
    rows = _tidy_rows(questionnaire, responses, entries)
    frame = pd.DataFrame(rows, columns=[e.variable for e in entries])
    strata = pd.DataFrame({MUNICIPALITY: responses[MUNICIPALITY].astype(str).to_numpy(),
                           GROUP: responses[GROUP].astype(str).to_numpy()})
    merged: tuple[tuple[str, str], ...] = ()
    if UNIT in responses.columns and responses[UNIT].fillna("").astype(str).str.strip().any():
        units, merged = _merge_small_units(strata, responses[UNIT], min_cell, lang)
        strata[UNIT] = units
    frame = pd.concat([strata, frame], axis=1)
    redaction = None
    text_columns = [e.variable for e in entries if e.kind is VariableKind.TEXT]
    if free_text:
        redactor = Redactor(names, lang=lang)
        for column in text_columns:
            frame[column] = [redactor.redact(v) if isinstance(v, str) and v.strip() else ""
                             for v in frame[column]]
        redaction = redactor.result()
    frame = _sorted_by_content(frame, text_columns)
    frame.insert(0, RESPONSE_NUMBER, np.arange(1, len(frame) + 1))
    columns = (*_context_columns(frame), *(_column(e, questionnaire) for e in entries))
    return Microdata(frame=frame, invited=invited[[MUNICIPALITY, GROUP, INVITED]],
                     columns=columns, questionnaire=questionnaire, codebook=codebook,
                     title=title, min_cell=min_cell, dropped_strata=small, merged_units=merged,
                     redaction=redaction, free_text=free_text, lang=lang, year=year)


def _in_strata(frame: pd.DataFrame, strata: Sequence[tuple[str, str]]) -> pd.Series:
    pairs = set(strata)
    return pd.Series([(str(m), str(g)) in pairs for m, g in
                      zip(frame[MUNICIPALITY], frame[GROUP], strict=True)], index=frame.index,
                     dtype=bool)


def _tidy_rows(questionnaire: Questionnaire, responses: pd.DataFrame,
               entries: Sequence[codebooks.CodebookEntry]) -> list[list]:
    """Each response's tidy row (codes, −1 not asked, −2 skipped, indicators 0/1/empty)."""
    answer_names = [v.name for v in questionnaire.variables if v.name in responses.columns]
    wanted = [e.variable for e in entries]
    collapses = {e.variable: e.variable.removesuffix(tidy.YES_SUFFIX)
                 for e in entries if e.type == "collapse"}
    rows = []
    # Many respondents answer alike (most were exposed to nothing), and a row depends on the
    # answers alone: each distinct answer set is expanded once.
    expanded: dict[tuple, list] = {}
    for record in responses[[MUNICIPALITY, GROUP, *answer_names]].itertuples(index=False):
        answers: dict = {}
        for name, value in zip(answer_names, record[2:], strict=True):
            if isinstance(value, str):
                if value.strip():
                    answers[name] = value
            elif value is not None and not pd.isna(value) and value >= 0:
                answers[name] = int(value)
        code = group_code(str(record[1]))
        if code is not None:
            answers["group"] = code
        if str(record[0]).isdigit():
            answers["municipality"] = int(record[0])
        key = tuple(sorted(answers.items()))
        if key not in expanded:
            row = tidy.row(questionnaire, answers)
            for collapse, source in collapses.items():
                # Outside the item's universe, as the statistics count it, not merely missing.
                if row[source] == NOT_ASKED:
                    row[collapse] = NOT_ASKED
            expanded[key] = [row.get(name) for name in wanted]
        rows.append(expanded[key])
    return rows


def _merge_small_units(strata: pd.DataFrame, units: pd.Series, min_cell: int, lang: str,
                       ) -> tuple[list[str], tuple[tuple[str, str], ...]]:
    values = units.fillna("").astype(str).str.strip().to_numpy()
    result = list(values)
    merged = []
    keys = list(zip(strata[MUNICIPALITY], strata[GROUP], strict=True))
    for stratum in sorted(set(keys)):
        positions = [i for i, key in enumerate(keys) if key == stratum]
        sizes: dict[str, int] = {}
        for i in positions:
            sizes[values[i]] = sizes.get(values[i], 0) + 1
        if len(sizes) < 2:
            continue
        # Smallest first; ties by name so that the result does not depend on row order.
        order = sorted(sizes, key=lambda unit: (sizes[unit], unit))
        folded: set[str] = set()
        total = 0
        for unit in order:
            if sizes[unit] >= min_cell and (total == 0 or total >= min_cell):
                break
            folded.add(unit)
            total += sizes[unit]
        if not folded:
            continue
        merged.append(stratum)
        label = OTHER_UNITS(lang)
        for i in positions:
            if values[i] in folded:
                result[i] = label
    return result, tuple(merged)


def _sorted_by_content(frame: pd.DataFrame, text_columns: Sequence[str]) -> pd.DataFrame:
    """Rows ordered by their values (strata first), so that position says nothing about when
    a response arrived; ties are identical rows, so their order cannot tell them apart."""
    keys = [c for c in frame.columns if c not in text_columns] + list(text_columns)
    ordered = frame.sort_values(keys, kind="stable", na_position="first")
    return ordered.reset_index(drop=True)


_MEASURE = {VariableKind.CATEGORICAL: "nominal", VariableKind.ORDINAL: "ordinal",
            VariableKind.BINARY: "nominal", VariableKind.INTEGER: "scale",
            VariableKind.TEXT: "nominal", VariableKind.DERIVED: "nominal"}


def _column(entry: codebooks.CodebookEntry, questionnaire: Questionnaire) -> Column:
    if entry.kind is VariableKind.TEXT:
        return Column(entry.variable, entry.label, "string", "nominal", entry=entry)
    if entry.type == "derived":
        missing: tuple[MissingCode, ...] = ()
    elif entry.type == "collapse":
        missing = (NOT_ASKED_CODE,)
    else:
        missing = missing_codes(entry.codes)
    substantive = tuple(o for o in entry.codes if o.substantive)
    return Column(entry.variable, entry.label, "number", _MEASURE[entry.kind],
                  options=substantive, missing=missing, entry=entry)


def _context_columns(frame: pd.DataFrame) -> tuple[Column, ...]:
    labels = {c.name: c.label for c in CONTEXT_VARIABLES}
    columns = [Column(RESPONSE_NUMBER, Text("Löpnummer (rader sorterade efter innehåll)",
                                            "Row number (rows sorted by content)"),
                      "number", "scale"),
               Column(MUNICIPALITY, Text("Kommun", "Municipality"), "string", "nominal"),
               Column(GROUP, labels[GROUP], "string", "nominal")]
    if UNIT in frame.columns:
        columns.append(Column(UNIT, Text("Enhet (förvaltning)", "Unit (department)"),
                              "string", "nominal"))
    return tuple(columns)
