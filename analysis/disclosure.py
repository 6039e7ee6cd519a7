"""Disclosure control: which published figures to suppress so no small group is revealed.

The policy (docs/disclosure.md) in short: every published figure is a count of respondents
(``n``), optionally with a count of "yes" (a share is ``yes / n``), and each count is a sum
of *atoms*, the counts of the finest cross-classification of the microdata (e.g.
municipality x group x gender x age band x answer). A figure whose ``n`` is below the
round's minimum cell size is suppressed (*primary*); further figures are suppressed
(*complementary*) until no suppressed count can be pinned down from what is published.

"Pinned down" is checked as an attacker would: the published figures are linear equations
in the non-negative whole-number atoms. A suppressed count is derivable when only one value
of it fits them, whatever the route: a margin minus the other cells, a filtered table
subtracted from an unfiltered one, or a combination of several tables over the same atoms.
The fast check works on the linear relaxation (fractional atoms); a final audit with whole
numbers catches what the relaxation leaves open but integrality pins (a range such as
[1/2, 3/2] holds the single count 1).

The programmes are solved by HiGHS through ``highspy`` (the solver scipy wraps), imported
when a table first needs one: loading ``scipy.optimize`` would cost every start of
``paverkan stats`` a tenth of a second or more.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from threadpoolctl import ThreadpoolController

from analysis.data import GROUP, MUNICIPALITY, SurveyData

#: Smallest number of respondents a published figure may describe (a round may set more).
DEFAULT_MIN_CELL = 5
#: How far apart the attacker's bounds must be for a suppressed count to count as hidden
#: (a tolerance for the LP solver, far below one respondent).
BOUNDS_TOLERANCE = 1e-6
#: Random objectives whose vertices serve as whole-number witnesses before any count gets
#: programmes of its own (fixed seed: the same plan every run).
WITNESS_DIRECTIONS = 8
#: At most this many whole-number witnesses, tried while more counts than the minimum are
#: left (fewer are cheaper one by one).
INTEGER_WITNESSES = 3
INTEGER_WITNESS_MINIMUM = 4
WITNESS_SEED = 2026
#: Distance from a whole number below which a solver's value counts as that number.
INTEGER_TOLERANCE = 1e-6
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
            return int(self._atom_array[list(atoms)].sum())
        counted = self._counts.get(atoms)
        if counted is None:
            counted = self._counts[atoms] = int(self._atom_array[list(atoms)].sum())
        return counted

    @functools.cached_property
    def _atom_array(self) -> np.ndarray:
        return np.array(self.atoms, dtype=np.int64)

    @functools.cached_property
    def _counts(self) -> dict[frozenset[int], int]:
        return {}

    @functools.cached_property
    def _latest_published(self) -> dict[frozenset[Key], _Published]:
        return {}

    @functools.cached_property
    def _without_answer(self) -> dict[str, tuple[Figure, ...]]:
        """Per answer, the figures where nobody gave it (what :func:`_unanimous` looks
        among, thousands of times per county table)."""
        found: dict[str, list[Figure]] = {}
        for figure in self.figures:
            for answer, atoms in figure.parts:
                if self.count(atoms) == 0:
                    found.setdefault(answer, []).append(figure)
        return {answer: tuple(figures) for answer, figures in found.items()}

    @functools.cached_property
    def _measure_rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Every figure's every count as a 0/1 row over the atoms (booleans: protect copies
        the published subset every round), the row's figure index and its value: built
        once."""
        measures = [(position, atoms) for position, f in enumerate(self.figures)
                    for atoms in f.measures.values()]
        rows = _indicators([atoms for _, atoms in measures], len(self.atoms)).astype(bool)
        owner = np.array([position for position, _ in measures], dtype=int)
        return rows, owner, rows @ np.array(self.atoms, dtype=float)


@dataclass(frozen=True)
class Suppression:
    """A figure withheld from publication and why: ``primary`` or ``complementary``."""

    key: Key
    reason: str
    n: int


@dataclass(frozen=True)
class Bounds:
    """What an attacker can conclude about one count of a suppressed figure."""

    key: Key
    measure: str
    value: int
    lower: float
    upper: float

    @property
    def determined(self) -> bool:
        return self.upper - self.lower < BOUNDS_TOLERANCE


@dataclass(frozen=True)
class Exposure:
    """A count of a suppressed figure that the published figures determine exactly."""

    key: Key
    measure: str
    value: int


@dataclass(frozen=True)
class Plan:
    """The figures to withhold from a table, in the order they were decided."""

    min_cell: int
    suppressed: tuple[Suppression, ...]


def protect(table: Table, min_cell: int = DEFAULT_MIN_CELL) -> Plan:
    """Primary and complementary suppression for ``table``, checked until nothing is derivable.

    Primary: every figure with ``0 < n < min_cell``. Complementary, repeated until
    :func:`derivable` finds no count of a primary cell: for the first exposed count,
    suppress one of the cell's *siblings* (published, disjoint from it, inside its smallest
    parent that has any: the cells a margin would be subtracted from), preferring those
    with a positive count of the exposed kind (hiding a sibling without "yes" answers does
    not hide a "yes" count) and then the fewest respondents; the smallest published parent
    when no parent has a sibling. Complementary cells are large enough to publish, so
    their own counts may stay derivable.

    "Derivable" is first judged on the linear relaxation (:func:`derivable`); once nothing
    is, :func:`integer_derivable` checks the counts that must stay hidden with whole
    numbers, and any it finds pinned are complemented the same way.

    A count that is derivable only because a published figure with at least ``min_cell``
    respondents is unanimous (0 yes or 0 no) is accepted: that is the published group's
    property, the same for everyone in it.

    Differencing: when a published share's cell contains another (a filtered view inside
    an unfiltered one) and the people in one but not the other are fewer than
    ``min_cell``, their "yes" and "no" counts must not be derivable either, although no
    table shows that group. The inner cell is suppressed first, then as above.

    Parameters
    ----------
    table : Table
        Atom counts and the figures meant for publication.
    min_cell : int
        The round's minimum number of respondents per published figure.

    Returns
    -------
    Plan
        The suppressed figures with ``primary`` or ``complementary`` as the reason.
    """
    index = {f.key: f for f in table.figures}
    suppressed = {f.key: Suppression(f.key, "primary", table.count(f.n_atoms))
                  for f in table.figures if 0 < table.count(f.n_atoms) < min_cell}
    for figure in _margin_complements(table, set(suppressed)):
        suppressed[figure.key] = Suppression(figure.key, "complementary",
                                             table.count(figure.n_atoms))
    differences = _small_differences(table, min_cell)
    all_figures = {**index, **differences}
    with single_threaded_blas():
        while True:
            hidden = set(suppressed)
            found = derivable(table, hidden, tuple(differences.values()))
            exposed = [e for e in found if _must_hide(e, suppressed, differences)
                       and not _unanimous(table, all_figures[e.key], e, hidden)]
            if not exposed:
                # Open in the relaxation; now with whole numbers, for the counts that matter.
                guarded = [Exposure(key, measure, table.count(atoms))
                           for key in (*hidden, *differences)
                           for measure, atoms in all_figures[key].measures.items()]
                guarded = [e for e in guarded if _must_hide(e, suppressed, differences)
                           and not _unanimous(table, all_figures[e.key], e, hidden)]
                exposed = list(integer_derivable(table, hidden, guarded,
                                                 tuple(differences.values())))
            if not exposed:
                return Plan(min_cell, tuple(suppressed.values()))
            # One complement per exposed cell per round, each chosen knowing the others.
            first_per_cell = {}
            for exposure in exposed:
                first_per_cell.setdefault(exposure.key, exposure)
            before = len(suppressed)
            for exposure in first_per_cell.values():
                extra = _complement_for(table, index, differences, exposure, set(suppressed))
                if extra is not None:
                    suppressed[extra.key] = Suppression(extra.key, "complementary",
                                                        table.count(extra.n_atoms))
            if len(suppressed) == before:
                raise RuntimeError(f"no complementary cell can protect {exposed[0].key}")


def _margin_complements(table: Table, hidden: set[Key]) -> list[Figure]:
    """Complements every margin asks for, found without a solver: where a figure and its
    breakdown by one more category (a municipality's groups, a stratum's genders) have
    exactly one withheld cell with respondents among them (a breakdown cell, or the figure
    itself, which its published breakdown would add up), withhold the smallest published
    breakdown cell with respondents (one with every answer present when there is one), or
    the figure itself when there is none; repeated until no margin gives a cell away on
    its own.

    The cells subtracting a margin would reveal, chosen at once: the search in
    :func:`protect` then only has to confirm them (and add what combinations of margins
    need), instead of finding them one solver round at a time (a county's tables took
    dozens of rounds)."""
    chosen: list[Figure] = []
    relations = _margins(table)
    changed = True
    while changed:
        changed = False
        for parent, children in relations:
            withheld = [c for c in children if c.key in hidden and table.count(c.n_atoms)]
            parent_hidden = parent.key in hidden and table.count(parent.n_atoms)
            if len(withheld) + bool(parent_hidden) != 1:
                continue
            siblings = [c for c in children if c.key not in hidden and table.count(c.n_atoms)]
            if parent_hidden and not siblings:
                continue
            if siblings:
                extra = min(siblings, key=lambda f: (
                    not all(table.count(atoms) for atoms in f.measures.values()),
                    table.count(f.n_atoms)))
            else:
                extra = parent
            hidden.add(extra.key)
            chosen.append(extra)
            changed = True
    return chosen


def _margins(table: Table) -> list[tuple[Figure, list[Figure]]]:
    """Each figure with its breakdown by one more category of the same table: the figures
    whose key adds one column to its key."""
    by_layout: dict[tuple, list[Figure]] = {}
    for figure in table.figures:
        name, *where = figure.key
        by_layout.setdefault((name, tuple(column for column, _ in where)), []).append(figure)
    relations = []
    for (name, columns), parents in by_layout.items():
        for (other_name, finer), children in by_layout.items():
            if other_name != name or len(finer) != len(columns) + 1 or not set(
                    columns) < set(finer):
                continue
            for parent in parents:
                inside = set(parent.key[1:])
                relations.append((parent, [c for c in children if inside <= set(c.key[1:])]))
    return relations


def _complement_for(table: Table, index: Mapping[Key, Figure],
                    differences: Mapping[Key, _Difference], exposure: Exposure,
                    hidden: set[Key]) -> Figure | None:
    if exposure.key in differences:
        inner = differences[exposure.key].subtracted
        if inner not in hidden:
            return index[inner]
        return _complement(table, differences[exposure.key], exposure.measure, hidden)
    return _complement(table, index[exposure.key], exposure.measure, hidden)


@dataclass(frozen=True)
class _Difference(Figure):
    """The people in a published cell but not in a published cell inside it."""

    subtracted: Key = ()


def _small_differences(table: Table, min_cell: int) -> dict[Key, _Difference]:
    published_groups = {f.n_atoms for f in table.figures}
    shares = [f for f in table.figures if f.parts]
    if not shares:
        return {}
    # Which share lies inside which, and how many people are in one but not the other, for
    # all pairs at once (a pair loop over a county's shares took over a second per table).
    members = np.zeros((len(shares), len(table.atoms)))
    for row, figure in enumerate(shares):
        members[row, list(figure.n_atoms)] = 1.0
    sizes = members.sum(axis=1)
    people = members @ table._atom_array.astype(float)
    inside = (members @ members.T == sizes[:, None]) & (sizes[:, None] < sizes[None, :])
    rest_people = people[None, :] - people[:, None]
    found = {}
    small = inside & (rest_people > 0) & (rest_people < min_cell)
    for position_outer, position_inner in zip(*np.nonzero(small.T), strict=True):
        inner, outer = shares[position_inner], shares[position_outer]
        rest = outer.n_atoms - inner.n_atoms
        if rest in published_groups:
            continue
        key = (("table", "difference"), ("of", repr(outer.key)), ("minus", repr(inner.key)))
        parts = tuple((name, atoms - dict(inner.parts).get(name, frozenset()))
                      for name, atoms in outer.parts)
        found[key] = _Difference(key, rest, parts, subtracted=inner.key)
    return found


def _must_hide(exposure: Exposure, suppressed: Mapping[Key, Suppression],
               differences: Mapping[Key, _Difference]) -> bool:
    """Primary cells keep all their counts hidden; a small difference group its answers
    (how many skipped the item is no one's answer)."""
    if exposure.key in differences:
        return exposure.measure != "n"
    return suppressed[exposure.key].reason == "primary"


def single_threaded_blas() -> object:
    """Run BLAS/LAPACK on one thread: on matrices this small, a multi-threaded OpenBLAS
    spends its time waiting for busy cores (30 times slower on a loaded two-core machine).

    The libraries are looked up once per process (a lookup walks every loaded shared
    object: a few milliseconds, paid per table before)."""
    return _blas_controller().limit(limits=1, user_api="blas")


@functools.cache
def _blas_controller() -> ThreadpoolController:
    return ThreadpoolController()


def derivable(table: Table, hidden: Iterable[Key],
              unpublished: Sequence[Figure] = ()) -> tuple[Exposure, ...]:
    """Counts of the ``hidden`` figures (and of ``unpublished`` groups) that the published
    figures determine.

    Exact for the linear relaxation, with one linear programme: the published counts are
    equations ``A x = b`` in the atoms ``x >= 0``. The programme finds the atoms that are 0
    at every solution (forced by published zeros, possibly in combination); on the
    remaining atoms the solutions fill an affine space, so a count is determined exactly
    when its coefficient vector lies in the row space of ``A``. Equivalent to the two
    programmes per count of :func:`attacker_bounds` (minimum equals maximum), at a fraction
    of the cost.
    """
    hidden = set(hidden)
    figures = (*(f for f in table.figures if f.key in hidden), *unpublished)
    return _in_row_space(table, figures, _published(table, hidden))


@dataclass(frozen=True)
class _Published:
    """What the published figures say about the atoms, reduced to what constrains them:
    the atoms that can be positive in some solution (``free``, a mask over the table's
    atoms) and the distinct equations over those atoms (``rows @ x = values``, rows with
    no free atom left out: they say 0 = 0). Every solution is 0 outside ``free``, so the
    reduced system has exactly the original's solutions there."""

    free: np.ndarray
    rows: np.ndarray
    values: np.ndarray


def _published(table: Table, hidden: set[Key]) -> _Published:
    """The reduced published system of ``table`` with ``hidden`` withheld, built once per
    set: :func:`protect` asks :func:`derivable` and then :func:`integer_derivable` about
    the same set, and finding the free atoms takes a linear programme."""
    key = frozenset(hidden)
    known = table._latest_published.get(key)
    if known is not None:
        return known
    rows, values = _equations(table, hidden)
    distinct = _distinct_rows(rows)
    rows, values = rows[distinct], values[distinct]
    # Withholding more only removes equations: every atom that could be positive with fewer
    # withheld still can (protect's sets only grow), so the programme need not ask again.
    positive = next((earlier.free for withheld, earlier in table._latest_published.items()
                     if withheld <= key), None)
    free = ~_always_zero(rows, values, table._atom_array, positive)
    rows = rows[:, free]
    distinct = _distinct_rows(rows)
    distinct = distinct[rows[distinct].any(axis=1)]
    reduced = _Published(free, rows[distinct], values[distinct])
    # Only the latest set: each holds a dense copy of the equations.
    table._latest_published.clear()
    table._latest_published[key] = reduced
    return reduced


def _in_row_space(table: Table, figures: Sequence[Figure],
                  published: _Published) -> tuple[Exposure, ...]:
    """The counts of ``figures`` that the ``published`` equations fix: those whose
    indicator over the free atoms, projected off the row space, vanishes (all of them
    projected at once)."""
    measures = [(figure, measure, atoms) for figure in figures
                for measure, atoms in figure.measures.items()]
    if not measures:
        return ()
    weights = _indicators([atoms for _, _, atoms in measures], len(table.atoms))
    weights = weights[:, published.free]
    if len(published.rows):
        row_space = _row_space(published.rows)
        weights = weights - (weights @ row_space) @ row_space.T
    fixed = np.linalg.norm(weights, axis=1) < BOUNDS_TOLERANCE
    return tuple(Exposure(figure.key, measure, table.count(atoms))
                 for (figure, measure, atoms), pinned in zip(measures, fixed, strict=True)
                 if pinned)


def _distinct_rows(rows: np.ndarray) -> np.ndarray:
    """Where the distinct rows of a 0/1 matrix first occur (in order), compared as packed
    bits (a float sort of the rows costs seconds for a county's 13 municipalities). Equal
    rows of the published equations have equal values: both are the true count."""
    if not rows.shape[1]:
        return np.arange(min(len(rows), 1))
    packed = np.packbits(rows.astype(bool), axis=1)
    keys = np.ascontiguousarray(packed).view(np.dtype((np.void, packed.shape[1]))).ravel()
    _, first = np.unique(keys, return_index=True)
    return np.sort(first)


def _row_space(rows: np.ndarray) -> np.ndarray:
    """Orthonormal basis (columns) of the row space, by singular value decomposition
    (numpy's; a pivoted QR would need scipy.linalg, a slow import for matrices this small)."""
    u, singular, _ = np.linalg.svd(rows.T.astype(float), full_matrices=False)
    rank = int(np.sum(singular > BOUNDS_TOLERANCE * max(1.0, singular.max(initial=0.0))))
    return u[:, :rank]


def integer_derivable(table: Table, hidden: Iterable[Key], counts: Sequence[Exposure],
                      unpublished: Sequence[Figure] = ()) -> tuple[Exposure, ...]:
    """Which of ``counts`` (figure key, measure, true value; figures of the table or of
    ``unpublished`` groups) only one whole-number solution of the published figures allows.

    The true atoms are one solution, so a count is open as soon as another integer
    solution gives it another value. Cheap witnesses first: the vertices minimising and
    maximising the sum of all the counts, and those of :data:`WITNESS_DIRECTIONS` random
    combinations of them, when the solver returns them in whole numbers (tables of nested
    margins have integral vertices), settle every count they move (a county's table leaves
    hundreds of counts, one programme each, to the sum's two vertices alone). Each
    count left gets its own minimum and maximum, by linear programming where that settles
    it and by integer programming where the relaxation's optimum is fractional.
    """
    if not counts:
        return ()
    figures = {f.key: f for f in (*table.figures, *unpublished)}
    # Over the free atoms only (the others are 0 in every solution, whole or not): a
    # county's programmes shrink to about a third of the atoms and half the equations.
    published = _published(table, set(hidden))
    weights = _indicators([figures[c.key].measures[c.measure] for c in counts],
                          len(table.atoms))[:, published.free]
    truth = np.array([c.value for c in counts], dtype=float)
    size = weights.shape[1]
    programme = _Programme(published.rows, published.values, published.values,
                           np.zeros(size), np.full(size, np.inf))
    open_ = np.zeros(len(counts), dtype=bool)
    directions = np.random.default_rng(WITNESS_SEED).normal(size=(WITNESS_DIRECTIONS,
                                                                  len(counts)))
    for direction in (np.ones(len(counts)), -np.ones(len(counts)), *directions):
        try:
            vertex = programme.minimise(direction @ weights)
        except _Unbounded:
            continue  # no vertex to witness with: the counts left are settled one by one
        if np.all(np.abs(vertex - np.round(vertex)) < INTEGER_TOLERANCE):
            open_ |= np.abs(weights @ np.round(vertex) - truth) > 0.5
        if open_.all():
            return ()
    # Fractional vertices (tables crossed by gender and age band are not totally
    # unimodular) settle nothing: whole-number optima of a few random directions over the
    # counts left settle most of them at once.
    for direction in directions[:INTEGER_WITNESSES]:
        if open_.sum() > len(counts) - INTEGER_WITNESS_MINIMUM:
            break
        try:
            solution = programme.minimise((direction * ~open_) @ weights, integer=True)
        except _Unbounded:
            continue
        open_ |= np.abs(weights @ np.round(solution) - truth) > 0.5
    exposures = []
    for position in np.flatnonzero(~open_):
        # A count of 0 cannot go lower: only the way up can show it open.
        signs = (-1.0,) if truth[position] == 0 else (1.0, -1.0)
        if not any(_moves(programme, sign * weights[position], sign * truth[position])
                   for sign in signs):
            exposures.append(counts[position])
    return tuple(exposures)


def _moves(programme: _Programme, weights: np.ndarray, value: float) -> bool:
    """Whether some whole-number solution has ``weights @ x`` below ``value`` (the true,
    integer one). The relaxation first: a minimum above ``value - 1`` leaves no integer
    below, and a whole-number minimiser below is a witness; only a fractional minimiser
    below needs the integer programme. Unbounded below: it moves (nothing published caps
    the count once the figures around it are withheld)."""
    try:
        vertex = programme.minimise(weights)
    except _Unbounded:
        return True
    if weights @ vertex > value - 0.5:
        return False
    if np.all(np.abs(vertex - np.round(vertex)) < INTEGER_TOLERANCE):
        return True
    return bool(weights @ programme.minimise(weights, integer=True) < value - 0.5)


def attacker_bounds(table: Table, suppressed: Iterable[Key]) -> tuple[Bounds, ...]:
    """Minimum and maximum of every count of every suppressed figure given the rest.

    The published figures' counts are equality constraints on the non-negative atoms.
    """
    hidden = set(suppressed)
    return tuple(b for f in table.figures if f.key in hidden
                 for b in _audit_figure(table, f, hidden))


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


def plan_for_report(data: SurveyData, min_cell: int = DEFAULT_MIN_CELL) -> dict:
    """The suppression plan of everything :mod:`analysis.report` publishes, as plain data.

    One table per binary item (its shares by every published breakdown) and per ordinal
    item (its distribution by stratum, municipality, group and in total), each together
    with the respondent counts by stratum and covariate, which constrain the same people.
    """
    strata = (MUNICIPALITY, GROUP)
    breakdowns = [(), (MUNICIPALITY,), (GROUP,), strata,
                  *((*strata, c) for c in data.covariates)]
    counts = [(), (MUNICIPALITY,), strata, *((*strata, c) for c in data.covariates)]
    levels = {c: data.levels[c] for c in (*strata, *data.covariates)}
    items: dict[str, list] = {}
    respondents: dict[Key, dict] = {}
    ordinal_breakdowns = [(), (MUNICIPALITY,), (GROUP,), strata]
    tables = [(item, breakdowns, BINARY_ANSWERS) for item in data.binary]
    tables += [(item, ordinal_breakdowns, {str(code): code for code in data.ordinal_levels[item]})
               for item in data.ordinal]
    for item, published, answers in tables:
        table = table_from_frame(data.responses, levels,
                                 {item: published, "respondents": counts}, item, answers)
        plan = protect(table, min_cell)
        for s in plan.suppressed:
            entry = {"cell": dict(s.key[1:]), "reason": s.reason}
            if dict(s.key)["table"] == item:
                items.setdefault(item, []).append(entry)
            else:
                respondents.setdefault(s.key, entry)
    return {
        "min_cell": min_cell,
        "items": {item: items.get(item, []) for item in (*data.binary, *data.ordinal)},
        "respondents": list(respondents.values()),
    }


def _answer_states(frame: pd.DataFrame, item: str | None,
                   answers: Mapping[str, float]) -> np.ndarray:
    if item is None:
        return np.full(len(frame), EVERYONE, dtype=object)
    # NaN (missing) and NOT_ASKED both fall in "none": neither is counted in the item's n.
    values = frame[item].to_numpy(dtype=float)
    return np.select([values == code for code in answers.values()], list(answers),
                     NO_ANSWER).astype(object)


def _audit_figure(table: Table, figure: Figure, hidden: set[Key]) -> tuple[Bounds, ...]:
    rows, values = _equations(table, hidden)
    bounds = []
    for measure, atoms in figure.measures.items():
        objective = _indicator(atoms, len(table.atoms))
        low = objective @ _solve(objective, rows, values)
        high = _maximum(objective, rows, values)
        bounds.append(Bounds(figure.key, measure, table.count(atoms), low, high))
    return tuple(bounds)


def _maximum(objective: np.ndarray, rows: np.ndarray, values: np.ndarray) -> float:
    """Largest ``objective @ x`` (infinite when no published figure bounds it)."""
    try:
        return float(objective @ _solve(-objective, rows, values))
    except _Unbounded:
        return float("inf")


class _Unbounded(ArithmeticError):
    """The programme has no finite optimum."""


def _solve(cost: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A minimiser of ``cost @ x`` over ``rows @ x = values``, ``x >= 0``; the true atoms
    are a solution, so the programme is feasible."""
    size = len(cost)
    return _Programme(rows, values, values, np.zeros(size), np.full(size, np.inf)).minimise(
        cost)


@dataclass(frozen=True)
class _Sparse:
    """A matrix as its nonzero entries (row, column, value): the programmes of a county's
    tables are over 99 % zeros, and dense copies of them cost more than solving them."""

    shape: tuple[int, int]
    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, matrix: np.ndarray) -> _Sparse:
        rows, columns = np.nonzero(matrix)
        return cls(matrix.shape, rows, columns, matrix[rows, columns])


class _Programme:
    """``row_lower <= matrix @ x <= row_upper``, ``lower <= x <= upper``, handed to HiGHS
    once: several objectives over the same constraints re-solve from the last basis."""

    def __init__(self, matrix: np.ndarray | _Sparse, row_lower: np.ndarray,
                 row_upper: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        import highspy

        self._highspy = highspy
        if not isinstance(matrix, _Sparse):
            matrix = _Sparse.of(matrix)
        number_of_rows, size = matrix.shape
        model = highspy.HighsLp()
        model.num_col_, model.num_row_ = size, number_of_rows
        model.col_cost_ = np.zeros(size)
        model.col_lower_ = np.asarray(lower, dtype=float)
        model.col_upper_ = np.asarray(upper, dtype=float)
        model.row_lower_ = np.asarray(row_lower, dtype=float)
        model.row_upper_ = np.asarray(row_upper, dtype=float)
        by_column = np.lexsort((matrix.rows, matrix.columns))
        columns = matrix.columns[by_column]
        model.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        model.a_matrix_.start_ = np.searchsorted(columns, np.arange(size + 1)).astype(np.int32)
        model.a_matrix_.index_ = matrix.rows[by_column].astype(np.int32)
        model.a_matrix_.value_ = np.asarray(matrix.values, dtype=float)[by_column]
        # The core solver, not the ``highspy.Highs`` wrapper: the wrapper's constructor
        # registers Python callbacks (unused here), which prints HiGHS' banner to standard
        # output before any option can silence it, into `paverkan stats --json -`'s JSON.
        self._solver = highspy._core._Highs()
        self._solver.setOptionValue("output_flag", False)
        self._solver.setOptionValue("threads", 1)
        self._solver.passModel(model)
        self._columns = np.arange(size, dtype=np.int32)
        self._integer = False

    def minimise(self, cost: np.ndarray, integer: bool = False) -> np.ndarray:
        """A minimiser of ``cost @ x`` (in whole numbers with ``integer``), or
        :class:`_Unbounded`."""
        highspy, solver = self._highspy, self._solver
        size = len(self._columns)
        solver.changeColsCost(size, self._columns, np.asarray(cost, dtype=float))
        if integer != self._integer:
            kind = highspy.HighsVarType.kInteger if integer else highspy.HighsVarType.kContinuous
            solver.changeColsIntegrality(size, self._columns, np.array([kind] * size))
            self._integer = integer
        # Presolve costs more than solving these small, sparse linear programmes (5 ms
        # against under 1 ms on the reference round); branch and bound needs it.
        solver.setOptionValue("presolve", "on" if integer else "off")
        solver.run()
        status = solver.getModelStatus()
        if status in (highspy.HighsModelStatus.kUnbounded,
                      highspy.HighsModelStatus.kUnboundedOrInfeasible):
            raise _Unbounded(solver.modelStatusToString(status))
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS: {solver.modelStatusToString(status)}")
        return np.array(solver.getSolution().col_value)


def _equations(table: Table, hidden: set[Key]) -> tuple[np.ndarray, np.ndarray]:
    """The published counts as ``A x = b`` over the atoms."""
    rows, owner, values = table._measure_rows
    published = np.array([f.key not in hidden for f in table.figures], dtype=bool)
    keep = published[owner] if len(owner) else np.zeros(0, dtype=bool)
    return rows[keep], values[keep]


def _always_zero(rows: np.ndarray, values: np.ndarray, atoms: np.ndarray,
                 positive: np.ndarray | None = None) -> np.ndarray:
    """Atoms that are 0 in every non-negative solution of ``rows @ x = values``.

    The true counts are a solution, so only atoms that are truly 0 qualify, and none known
    to be ``positive`` in some solution (a mask, when given); those inside a published zero
    count are forced at once. For the rest, one programme over ``(x, y, t)`` (``x`` the
    atoms not forced): maximise ``sum(y)`` with ``y_j <= x_j``, ``y_j <= 1``,
    ``rows @ x = t * values``, ``t >= 1``. Scaling lets every atom that can be positive in
    some solution reach ``y_j = 1``; the others stay at 0.
    """
    if not len(rows):
        return np.zeros(len(atoms), dtype=bool)
    zero = atoms == 0
    if positive is not None:
        zero &= ~positive
    forced = zero & (rows[values == 0].sum(axis=0) > 0)
    if not (zero & ~forced).any():
        return forced
    # The programme leaves out what the published zeros settle: their equations and the
    # atoms they force (0 in every solution), so it is over the other atoms only.
    rows, values = rows[values != 0][:, ~forced], values[values != 0]
    candidates = np.flatnonzero(zero[~forced])
    size, k, equations = rows.shape[1], candidates.size, len(rows)
    # Built as nonzero entries: rows @ x - t * values, then y_j - x_j (dense, a county's
    # programme took longer to copy than to solve).
    equation, atom = np.nonzero(rows)
    bound = np.arange(k)
    matrix = _Sparse(
        (equations + k, size + k + 1),
        np.concatenate([equation, np.arange(equations), equations + bound, equations + bound]),
        np.concatenate([atom, np.full(equations, size + k), candidates, size + bound]),
        np.concatenate([rows[equation, atom], -values, np.full(k, -1.0), np.ones(k)]))
    solution = _Programme(
        matrix,
        np.concatenate([np.zeros(equations), np.full(k, -np.inf)]),
        np.zeros(equations + k),
        np.concatenate([np.zeros(size + k), [1.0]]),
        np.concatenate([np.full(size, np.inf), np.ones(k), [np.inf]]),
    ).minimise(np.concatenate([np.zeros(size), -np.ones(k), [0.0]]))
    always = forced.copy()
    always[np.flatnonzero(~forced)[candidates]] = solution[size:size + k] < 0.5
    return always


def _unanimous(table: Table, figure: Figure, exposure: Exposure, hidden: set[Key]) -> bool:
    """Whether an exposed zero answer count follows from a published parent where nobody
    gave that answer."""
    if exposure.measure == "n" or exposure.value != 0:
        return False
    return bool(figure.measures[exposure.measure]) and any(
        f.key not in hidden and figure.n_atoms <= f.n_atoms
        for f in table._without_answer.get(exposure.measure, ()))


def _complement(table: Table, failing: Figure, measure: str,
                hidden: set[Key]) -> Figure | None:
    """A published figure to withhold so that ``failing``'s count is no longer pinned, or
    None when the complements chosen earlier in the same round already withheld every
    figure around it (the next round's search tells whether it is still pinned)."""
    parents = sorted((f for f in table.figures
                      if failing.n_atoms <= f.n_atoms and f.key != failing.key),
                     key=lambda f: (len(f.n_atoms), table.count(f.n_atoms)))
    fallback = None
    # Published, non-empty and disjoint from the failing cell: looked up once, not per parent.
    candidates = [f for f in table.figures if f.n_atoms and f.key not in hidden
                  and f.n_atoms.isdisjoint(failing.n_atoms)]
    for parent in parents:
        siblings = [f for f in candidates if f.n_atoms <= parent.n_atoms]
        # Only a sibling holding some of the exposed answer can hide it: a plain respondent
        # count, or a cell where nobody gave that answer, leaves it pinned (a county's
        # ordinal table withheld one respondent count after another that way).
        useful = [f for f in siblings
                  if measure in f.measures and table.count(f.measures[measure]) > 0]
        if useful:
            return min(useful, key=lambda f: table.count(f.n_atoms))
        if siblings and fallback is None:
            fallback = min(siblings, key=lambda f: table.count(f.n_atoms))
    if fallback is not None:
        return fallback
    published_parents = [p for p in parents if p.key not in hidden]
    return published_parents[0] if published_parents else None


def _atoms(mask: np.ndarray) -> frozenset[int]:
    return frozenset(np.flatnonzero(mask).tolist())


def _indicator(atoms: Iterable[int], size: int) -> np.ndarray:
    vector = np.zeros(size)
    vector[list(atoms)] = 1.0
    return vector


def _indicators(sets: Sequence[Iterable[int]], size: int) -> np.ndarray:
    """One 0/1 row over ``size`` atoms per set, filled at once."""
    lists = [list(atoms) for atoms in sets]
    matrix = np.zeros((len(lists), size))
    lengths = [len(atoms) for atoms in lists]
    matrix[np.repeat(np.arange(len(lists)), lengths),
           np.fromiter(itertools.chain.from_iterable(lists), dtype=np.intp,
                       count=sum(lengths))] = 1.0
    return matrix
