"""Disclosure control: which published figures to suppress so no small group is revealed.

The policy (docs/disclosure.md) in short: every published figure is a count of respondents
(``n``), optionally with a count of "yes" (a share is ``yes / n``), and each count is a sum
of *atoms* (:mod:`analysis.atoms`). A figure whose ``n`` is below the round's minimum cell
size is suppressed (*primary*); further figures are suppressed (*complementary*) until no
suppressed count can be pinned down from what is published, as an attacker would
(:mod:`analysis.derivability`).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analysis.atoms import BINARY_ANSWERS, Figure, Key, Table, table_from_frame
from analysis.data import GROUP, MUNICIPALITY, SurveyData
from analysis.derivability import (
    Exposure,
    derivable,
    integer_derivable,
    single_threaded_blas,
)

#: Smallest number of respondents a published figure may describe (a round may set more).
DEFAULT_MIN_CELL = 5


@dataclass(frozen=True)
class Suppression:
    """A figure withheld from publication and why: ``primary`` or ``complementary``."""

    key: Key
    reason: str
    n: int


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
    people = members @ table.atom_array.astype(float)
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


def _unanimous(table: Table, figure: Figure, exposure: Exposure, hidden: set[Key]) -> bool:
    """Whether an exposed zero answer count follows from a published parent where nobody
    gave that answer."""
    if exposure.measure == "n" or exposure.value != 0:
        return False
    return bool(figure.measures[exposure.measure]) and any(
        f.key not in hidden and figure.n_atoms <= f.n_atoms
        for f in table.without_answer.get(exposure.measure, ()))


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
