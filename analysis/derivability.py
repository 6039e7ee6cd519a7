"""What an attacker can compute from the published figures: the counts they pin down.

The published figures are linear equations in the non-negative whole-number atoms
(:mod:`analysis.atoms`). A withheld count is derivable when only one value of it fits
them, whatever the route: a margin minus the other cells, a filtered table subtracted from
an unfiltered one, or a combination of several tables over the same atoms. The fast check
(:func:`derivable`) works on the linear relaxation (fractional atoms); the whole-number
audit (:func:`integer_derivable`) catches what the relaxation leaves open but integrality
pins (a range such as [1/2, 3/2] holds the single count 1). :func:`attacker_bounds` gives
each count's range, for the tests that play the attacker.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from threadpoolctl import ThreadpoolController

from analysis.atoms import Figure, Key, Table, indicators
from analysis.programmes import Programme, Sparse, Unbounded, maximum, solve
from analysis.row_space import distinct_rows, row_space

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
    known = table.published_cache.get(key)
    if known is not None:
        return known
    rows, values = _equations(table, hidden)
    distinct = distinct_rows(rows)
    rows, values = rows[distinct], values[distinct]
    # Withholding more only removes equations: every atom that could be positive with fewer
    # withheld still can (protect's sets only grow), so the programme need not ask again.
    positive = next((earlier.free for withheld, earlier in table.published_cache.items()
                     if withheld <= key), None)
    free = ~_always_zero(rows, values, table.atom_array, positive)
    rows = rows[:, free]
    distinct = distinct_rows(rows)
    distinct = distinct[rows[distinct].any(axis=1)]
    reduced = _Published(free, rows[distinct], values[distinct])
    # Only the latest set: each holds a dense copy of the equations.
    table.published_cache.clear()
    table.published_cache[key] = reduced
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
    weights = indicators([atoms for _, _, atoms in measures], len(table.atoms))
    weights = weights[:, published.free]
    if len(published.rows):
        weights = row_space(published.rows, BOUNDS_TOLERANCE).residual(weights)
    fixed = np.linalg.norm(weights, axis=1) < BOUNDS_TOLERANCE
    return tuple(Exposure(figure.key, measure, table.count(atoms))
                 for (figure, measure, atoms), pinned in zip(measures, fixed, strict=True)
                 if pinned)


def integer_derivable(table: Table, hidden: Iterable[Key], counts: Sequence[Exposure],
                      unpublished: Sequence[Figure] = ()) -> tuple[Exposure, ...]:
    """Which of ``counts`` (figure key, measure, true value; figures of the table or of
    ``unpublished`` groups) only one whole-number solution of the published figures allows.

    The true atoms are one solution, so a count is open as soon as another integer
    solution gives it another value. Cheap witnesses first: the vertices minimising and
    maximising the sum of the counts, and those of :data:`WITNESS_DIRECTIONS` random
    combinations of them (raising the counts of 0, which cannot go lower), each over the
    counts no witness has opened yet, when the solver returns them in whole numbers
    (tables of nested margins have integral vertices), settle every count they move (a
    county's table leaves hundreds of counts, one programme each, to the sum's two
    vertices alone). Each count left gets its own minimum and maximum, by linear
    programming where that settles it and by integer programming where the relaxation's
    optimum is fractional.
    """
    if not counts:
        return ()
    figures = {f.key: f for f in (*table.figures, *unpublished)}
    # Over the free atoms only (the others are 0 in every solution, whole or not): a
    # county's programmes shrink to about a third of the atoms and half the equations.
    published = _published(table, set(hidden))
    weights = indicators([figures[c.key].measures[c.measure] for c in counts],
                          len(table.atoms))[:, published.free]
    truth = np.array([c.value for c in counts], dtype=float)
    size = weights.shape[1]
    programme = Programme(published.rows, published.values, published.values,
                           np.zeros(size), np.full(size, np.inf))
    open_ = np.zeros(len(counts), dtype=bool)
    directions = np.random.default_rng(WITNESS_SEED).normal(size=(WITNESS_DIRECTIONS,
                                                                  len(counts)))
    # A count of 0 can only move up: the random directions maximise it (minimising it
    # showed nothing, and left a county's zero counts to programmes of their own).
    directions = np.where(truth == 0, -np.abs(directions), directions)
    for direction in (np.ones(len(counts)), -np.ones(len(counts)), *directions):
        # Steered by the counts not yet shown open only: a direction over all of them
        # mostly re-opened those (a county's tables left twice as many counts to
        # integer programmes).
        try:
            vertex = programme.minimise((direction * ~open_) @ weights)
        except Unbounded:
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
        except Unbounded:
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


def _moves(programme: Programme, weights: np.ndarray, value: float) -> bool:
    """Whether some whole-number solution has ``weights @ x`` below ``value`` (the true,
    integer one). The relaxation first: a minimum above ``value - 1`` leaves no integer
    below, and a whole-number minimiser below is a witness; only a fractional minimiser
    below needs the integer programme. Unbounded below: it moves (nothing published caps
    the count once the figures around it are withheld)."""
    try:
        vertex = programme.minimise(weights)
    except Unbounded:
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


def _audit_figure(table: Table, figure: Figure, hidden: set[Key]) -> tuple[Bounds, ...]:
    rows, values = _equations(table, hidden)
    bounds = []
    for measure, atoms in figure.measures.items():
        objective = _indicator(atoms, len(table.atoms))
        low = objective @ solve(objective, rows, values)
        high = maximum(objective, rows, values)
        bounds.append(Bounds(figure.key, measure, table.count(atoms), low, high))
    return tuple(bounds)


def _equations(table: Table, hidden: set[Key]) -> tuple[np.ndarray, np.ndarray]:
    """The published counts as ``A x = b`` over the atoms."""
    rows, owner, values = table.measure_rows
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
    matrix = Sparse(
        (equations + k, size + k + 1),
        np.concatenate([equation, np.arange(equations), equations + bound, equations + bound]),
        np.concatenate([atom, np.full(equations, size + k), candidates, size + bound]),
        np.concatenate([rows[equation, atom], -values, np.full(k, -1.0), np.ones(k)]))
    solution = Programme(
        matrix,
        np.concatenate([np.zeros(equations), np.full(k, -np.inf)]),
        np.zeros(equations + k),
        np.concatenate([np.zeros(size + k), [1.0]]),
        np.concatenate([np.full(size, np.inf), np.ones(k), [np.inf]]),
    ).minimise(np.concatenate([np.zeros(size), -np.ones(k), [0.0]]))
    always = forced.copy()
    always[np.flatnonzero(~forced)[candidates]] = solution[size:size + k] < 0.5
    return always


def _indicator(atoms: Iterable[int], size: int) -> np.ndarray:
    vector = np.zeros(size)
    vector[list(atoms)] = 1.0
    return vector
