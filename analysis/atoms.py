"""Published figures as sums of atoms, the counts the disclosure check reasons about.

Every published figure is a count of respondents (``n``), optionally with counts of its
answers (a share's "yes" and "no"), and each count is a sum of *atoms*: the counts of the
finest cross-classification of the microdata (e.g. municipality x group x gender x age
band x answer). :func:`table_from_frame` builds them from the responses;
:mod:`analysis.disclosure` decides what to withhold and :mod:`analysis.derivability` what an
attacker can compute from the rest.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

#: A share publishes the counts of these answers (name -> code) beside ``n``.
BINARY_ANSWERS: Mapping[str, float] = {"yes": 1, "no": 0}
NO_ANSWER = "none"
EVERYONE = "all"
#: The atom level of a respondent whose category is missing or not among ``levels``.
UNKNOWN = "(missing)"

Key = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Figure:
    """A published cell: which atoms its respondent count sums, and its answer counts.

    ``key`` names the cell, e.g. ``(("municipality", "Norrköping"), ("gender", "annat"))``
    plus a ``("table", ...)`` entry telling apart tables over the same categories.
    ``parts`` are the answer counts published with ``n`` (a share's ``yes`` and ``no``, an
    ordinal item's count per level) as ``(name, atoms)`` pairs; empty for a plain count.
    """

    key: Key
    n_atoms: frozenset[int]
    parts: tuple[tuple[str, frozenset[int]], ...] = ()

    @functools.cached_property
    def measures(self) -> Mapping[str, frozenset[int]]:
        """Every count this figure reveals: ``n`` and its parts (built once per figure: the
        complement search reads it hundreds of thousands of times for a county)."""
        return {"n": self.n_atoms, **dict(self.parts)}


@dataclass(frozen=True)
class Table:
    """Figures meant for publication over one vector of atom counts."""

    atoms: tuple[int, ...]
    figures: tuple[Figure, ...]

    def count(self, atoms: Iterable[int]) -> int:
        """How many respondents ``atoms`` hold (remembered per set: the complement search
        asks for the same figures' counts thousands of times)."""
        if not isinstance(atoms, frozenset):
            return int(self.atom_array[list(atoms)].sum())
        counted = self._counts.get(atoms)
        if counted is None:
            counted = self._counts[atoms] = int(self.atom_array[list(atoms)].sum())
        return counted

    @functools.cached_property
    def atom_array(self) -> np.ndarray:
        return np.array(self.atoms, dtype=np.int64)

    @functools.cached_property
    def _counts(self) -> dict[frozenset[int], int]:
        return {}

    @functools.cached_property
    def published_cache(self) -> dict[frozenset[Key], object]:
        """The published equations reduced for a withheld set, kept by
        :mod:`analysis.derivability` (finding them takes a linear programme)."""
        return {}

    @functools.cached_property
    def without_answer(self) -> dict[str, tuple[Figure, ...]]:
        """Per answer, the figures where nobody gave it (where the disclosure search looks
        for a unanimous published parent, thousands of times per county table)."""
        found: dict[str, list[Figure]] = {}
        for figure in self.figures:
            for answer, atoms in figure.parts:
                if self.count(atoms) == 0:
                    found.setdefault(answer, []).append(figure)
        return {answer: tuple(figures) for answer, figures in found.items()}

    @functools.cached_property
    def measure_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every figure's every count as a 0/1 row over the atoms (booleans: protect copies
        the published subset every round), the row's figure index and its value: built
        once."""
        measures = [(position, atoms) for position, f in enumerate(self.figures)
                    for atoms in f.measures.values()]
        rows = indicators([atoms for _, atoms in measures], len(self.atoms)).astype(bool)
        owner = np.array([position for position, _ in measures], dtype=int)
        return rows, owner, rows @ np.array(self.atoms, dtype=float)


def table_from_frame(frame: pd.DataFrame, levels: Mapping[str, Sequence[str]],
                     breakdowns: Mapping[str, Sequence[Sequence[str]]],
                     item: str | None = None,
                     answers: Mapping[str, float] = BINARY_ANSWERS) -> Table:
    """Atoms and figures for tables published from ``frame``.

    ``levels`` gives the categories of every column used; ``breakdowns`` maps a table name
    to the column combinations it publishes, e.g. ``{"threat": [(), ("municipality",),
    ("municipality", "group", "gender")]}``. Tables named ``item`` publish the share of
    ``item`` (its respondent count and the count of each of ``answers``, name -> code:
    "yes" and "no" by default, one per level for an ordinal item); other tables publish
    counts of all respondents (demographics, response counts). With ``item`` the atoms are
    also split by answer ("none": missing or not asked), so a filtered table and an
    unfiltered one over the same people constrain the same atoms.
    """
    columns = list(levels)
    states = (*answers, NO_ANSWER) if item else (EVERYONE,)
    # A respondent whose category is missing (a refused background question) is in no
    # breakdown by it but in every margin: an atom of its own keeps the margins true.
    known = {c: frame[c].isin(levels[c]) for c in columns}
    atom_levels = [(*levels[c], UNKNOWN) if not known[c].all() else tuple(levels[c])
                   for c in columns]
    atoms_index = {combo: i for i, combo in enumerate(itertools.product(*atom_levels, states))}
    counts = np.zeros(len(atoms_index), dtype=int)
    state = _answer_states(frame, item, answers)
    categories = {c: frame[c].where(known[c], UNKNOWN) for c in columns}
    grouped = frame.assign(**categories, _state=state).groupby([*columns, "_state"]).size()
    for combo, count in grouped.items():
        if combo in atoms_index:
            counts[atoms_index[combo]] += int(count)
    combos_array = np.array(list(atoms_index), dtype=object)
    answered_atoms = combos_array[:, -1] != NO_ANSWER
    # Each category's and answer's atoms once (object comparisons per figure took seconds
    # for a county's hundreds of figures).
    in_category = {(column, value): combos_array[:, position] == value
                   for position, column in enumerate(columns) for value in levels[column]}
    with_answer = {answer: combos_array[:, -1] == answer for answer in answers}
    figures = []
    for name, combos in breakdowns.items():
        for dims in combos:
            for values in itertools.product(*(levels[c] for c in dims)):
                where = dict(zip(dims, values, strict=True))
                matching = np.ones(len(combos_array), dtype=bool)
                for column, value in where.items():
                    matching &= in_category[column, value]
                key = (("table", name), *where.items())
                if name != item:
                    figures.append(Figure(key, _atoms(matching)))
                    continue
                parts = tuple((answer, _atoms(matching & with_answer[answer]))
                              for answer in answers)
                figures.append(Figure(key, _atoms(matching & answered_atoms), parts))
    return Table(tuple(int(c) for c in counts), tuple(figures))


def _answer_states(frame: pd.DataFrame, item: str | None,
                   answers: Mapping[str, float]) -> np.ndarray:
    if item is None:
        return np.full(len(frame), EVERYONE, dtype=object)
    # NaN (missing) and NOT_ASKED both fall in "none": neither is counted in the item's n.
    values = frame[item].to_numpy(dtype=float)
    return np.select([values == code for code in answers.values()], list(answers),
                     NO_ANSWER).astype(object)


def _atoms(mask: np.ndarray) -> frozenset[int]:
    return frozenset(np.flatnonzero(mask).tolist())


def indicators(sets: Sequence[Iterable[int]], size: int) -> np.ndarray:
    """One 0/1 row over ``size`` atoms per set, filled at once."""
    lists = [list(atoms) for atoms in sets]
    matrix = np.zeros((len(lists), size))
    lengths = [len(atoms) for atoms in lists]
    matrix[np.repeat(np.arange(len(lists)), lengths),
           np.fromiter(itertools.chain.from_iterable(lists), dtype=np.intp,
                       count=sum(lengths))] = 1.0
    return matrix
