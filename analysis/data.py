"""The tidy table every statistic runs on, and how it is read from CSV files.

One row per response: the stratum columns (``municipality``, ``group``), the covariates
(``gender``, ``age_band``) when present, and one column per variable. Item values are floats:
``NaN`` is a missing answer (skipped, empty, or a non-substantive code such as "Vill inte
svara"), :data:`~questionnaires.model.NOT_ASKED` marks a respondent outside the item's universe
(the filter did not ask them), anything else is the answer code. Keeping the two apart matters:
a filtered respondent is not a non-response and must not lower the item's response count.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from questionnaires.model import (
    CONTEXT_VARIABLES,
    NOT_ASKED,
    SKIPPED,
    Questionnaire,
    VariableKind,
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
#: no text column for them (the default instrument's names, docs/TEAM.md): each substantive
#: option becomes the level named by its lower-cased Swedish label, in option order.
BACKGROUND_VARIABLES: Mapping[str, str] = {GENDER: "e1", AGE_BAND: "e2"}

#: An integer column with codes from 0 up to below this is read as an ordinal item when no
#: questionnaire says otherwise (larger values are counts, e.g. years in role).
MAX_INFERRED_ORDINAL_LEVELS = 11


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
    """Read a tidy response CSV (UTF-8): categories as text, items as numbers, empty = missing."""
    return pd.read_csv(path, dtype=dict.fromkeys(NON_ITEM_COLUMNS, str),
                       keep_default_na=False, na_values=[""], encoding="utf-8")


def read_invited(path: str | Path) -> pd.DataFrame:
    """Read invited counts: one row per ``municipality, group`` with ``invited``."""
    invited = pd.read_csv(path, dtype={MUNICIPALITY: str, GROUP: str}, encoding="utf-8")
    missing = {MUNICIPALITY, GROUP, "invited"} - set(invited.columns)
    if missing:
        raise ValueError(f"{path}: invited counts need the columns {sorted(missing)}")
    return invited


def from_frame(responses: pd.DataFrame, invited: pd.DataFrame,
               binary: Sequence[str] | None = None,
               ordinal: Sequence[str] | None = None) -> SurveyData:
    """Build :class:`SurveyData` from a tidy frame, inferring item types when not given.

    Without a questionnaire a column whose answers are all 0/1 is a binary item and an
    integer column with a few non-negative codes is ordinal; :data:`SKIPPED` becomes
    missing and :data:`NOT_ASKED` stays, so filtered respondents remain outside the universe.
    """
    _require_columns(responses, STRATUM_COLUMNS, "responses")
    frame = responses.copy()
    candidates = [c for c in frame.columns if c not in NON_ITEM_COLUMNS]
    for column in candidates:
        frame[column] = pd.to_numeric(frame[column], errors="coerce").astype(float).replace(
            SKIPPED, np.nan)
    inferred_binary, inferred_ordinal = _infer_types(frame, candidates)
    binary = tuple(binary if binary is not None else inferred_binary)
    ordinal = tuple(ordinal if ordinal is not None else inferred_ordinal)
    return SurveyData(
        responses=frame,
        invited=invited.reset_index(drop=True),
        binary=binary,
        ordinal=ordinal,
        levels=_levels(frame, invited),
        ordinal_levels={item: _codes(frame[item]) for item in ordinal},
    )


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

    _require_columns(responses, STRATUM_COLUMNS, "responses")
    answer_names = [v.name for v in questionnaire.variables if v.name in responses.columns]
    group_codes = {o.label.sv.lower(): o.code for c in CONTEXT_VARIABLES if c.name == GROUP
                   for o in c.options}
    rows = []
    for record in responses.to_dict(orient="records"):
        answers = {name: int(record[name]) for name in answer_names
                   if _is_code(record[name]) and int(record[name]) >= 0}
        # The conditions read the stratum as context codes (group 1/2, municipality code).
        answers[GROUP] = group_codes.get(str(record[GROUP]).lower(), record[GROUP])
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


def _is_code(value: object) -> bool:
    return isinstance(value, (int, float, np.integer, np.floating)) and not pd.isna(value)


def _require_columns(frame: pd.DataFrame, columns: Iterable[str], what: str) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise ValueError(f"{what} lack the columns {missing}")


def _infer_types(frame: pd.DataFrame, candidates: Sequence[str]) -> tuple[list[str], list[str]]:
    binary, ordinal = [], []
    for column in candidates:
        codes = _codes(frame[column])
        values = frame[column]
        answered = values[values.notna() & (values != NOT_ASKED)]
        if not codes or not np.all(answered == np.round(answered)):
            continue
        if set(codes) <= {0, 1}:
            binary.append(column)
        elif min(codes) >= 0 and max(codes) < MAX_INFERRED_ORDINAL_LEVELS:
            ordinal.append(column)
    return binary, ordinal


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
