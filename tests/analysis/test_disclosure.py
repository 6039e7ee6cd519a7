"""Small groups stay hidden: proven by solving the published figures as linear constraints.

Each test builds a table that tempts the policy, lets :func:`analysis.disclosure.protect`
choose what to suppress, and then plays the attacker with its own integer programmes: the
published counts are equations in the non-negative whole-number cell counts, and every count
of every small (primary) group must have at least two values that fit them.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from analysis import data as tidy_data
from analysis.atoms import Figure, Table, table_from_frame
from analysis.derivability import attacker_bounds, derivable
from analysis.disclosure import DEFAULT_MIN_CELL, plan_for_report, protect
from tests.analysis.conftest import REFERENCE_A

LEVELS = {
    "municipality": ("Linköping", "Norrköping"),
    "group": ("förtroendevald", "medarbetare"),
    "gender": ("kvinna", "man", "annat"),
}
STRATA = ("municipality", "group")
SHARE_TABLES = [(), ("municipality",), ("group",), STRATA, (*STRATA, "gender")]
COUNT_TABLES = [(), ("municipality",), STRATA, (*STRATA, "gender")]


def published_equations(table: Table, hidden: set) -> tuple[np.ndarray, np.ndarray]:
    """Every published count as one row of ``A x = b`` over the atoms."""
    rows, values = [], []
    for figure in table.figures:
        if figure.key in hidden:
            continue
        for measure in figure.measures.values():
            rows.append([1.0 if i in measure else 0.0 for i in range(len(table.atoms))])
            values.append(sum(table.atoms[i] for i in measure))
    return np.array(rows).reshape(len(rows), len(table.atoms)), np.array(values, dtype=float)


def attacker_range(table: Table, hidden: set, atoms: frozenset[int]) -> tuple[float, float]:
    """Min and max of ``sum(atoms)`` given every published count (our own LP, not the
    package's)."""
    rows, values = published_equations(table, hidden)
    objective = np.array([1.0 if i in atoms else 0.0 for i in range(len(table.atoms))])
    low = linprog(objective, A_eq=rows, b_eq=values, bounds=(0, None), method="highs")
    high = linprog(-objective, A_eq=rows, b_eq=values, bounds=(0, None), method="highs")
    return low.fun, -high.fun


def integer_attacker_range(table: Table, hidden: set, atoms: frozenset[int]) -> tuple[int, int]:
    """Min and max of ``sum(atoms)`` over whole-number atoms: what an attacker who knows
    counts are integers can conclude. A linear range like [2.7, 3.3] holds one integer only,
    so the count would be known although the relaxation leaves it open."""
    rows, values = published_equations(table, hidden)
    objective = np.array([1.0 if i in atoms else 0.0 for i in range(len(table.atoms))])
    constraints = [LinearConstraint(rows, values, values)] if len(rows) else []
    found = []
    for sign in (1.0, -1.0):
        result = milp(sign * objective, constraints=constraints,
                      integrality=np.ones(len(table.atoms)), bounds=Bounds(0, np.inf))
        assert result.status == 0, result.message
        found.append(round(sign * result.fun))
    return found[0], found[1]


def assert_hidden(table: Table, hidden: set, atoms: frozenset[int], what: str) -> None:
    """At least two whole-number values of the count fit everything published."""
    low, high = integer_attacker_range(table, hidden, atoms)
    true = sum(table.atoms[i] for i in atoms)
    assert low <= true <= high
    assert low < high, f"{what} is derivable: only {true} fits the published integers"


def assert_primary_cells_hidden(table: Table, min_cell: int = DEFAULT_MIN_CELL) -> set:
    plan = protect(table, min_cell)
    hidden = {s.key for s in plan.suppressed}
    for figure in table.figures:
        if 0 < table.count(figure.n_atoms) < min_cell:
            assert figure.key in hidden
            assert_hidden(table, hidden, figure.n_atoms, f"n of {figure.key}")
            for name, atoms in figure.parts:
                assert_hidden(table, hidden, atoms, f"{name} of {figure.key}")
    return hidden


def survey_frame(cells: dict[tuple[str, str, str], tuple[int, int]]) -> pd.DataFrame:
    """Respondents from (municipality, group, gender) -> (yes, no) counts."""
    rows = []
    for (municipality, group, gender), (yes, no) in cells.items():
        rows += [{"municipality": municipality, "group": group, "gender": gender,
                  "q_threat": float(answer)} for answer in [1] * yes + [0] * no]
    return pd.DataFrame(rows)


def stratum_of_three() -> dict[tuple[str, str, str], tuple[int, int]]:
    cells = {key: (12, 40) for key in itertools.product(*LEVELS.values())}
    cells["Norrköping", "förtroendevald", "annat"] = (1, 2)
    cells["Linköping", "medarbetare", "annat"] = (3, 6)
    cells["Linköping", "förtroendevald", "annat"] = (2, 5)
    return cells


def test_a_chief_comparing_genders_cannot_work_out_the_three_other_gender_politicians() -> None:
    """A cell of 3 and the cells that would reveal it by subtraction are withheld."""
    table = table_from_frame(survey_frame(stratum_of_three()), LEVELS,
                             {"q_threat": SHARE_TABLES, "respondents": COUNT_TABLES},
                             "q_threat")
    hidden = assert_primary_cells_hidden(table)
    small = (("table", "q_threat"), ("municipality", "Norrköping"),
             ("group", "förtroendevald"), ("gender", "annat"))
    assert small in hidden
    assert len(hidden) > 2, "the small cell alone would be a margin minus the others"
    assert (("table", "q_threat"), ("municipality", "Norrköping"),
            ("group", "förtroendevald")) not in hidden, "the stratum itself stays published"


def test_suppressing_only_the_small_cell_would_leave_it_derivable() -> None:
    """The attacker really can subtract: without complementary cells the 3 are exposed."""
    table = table_from_frame(survey_frame(stratum_of_three()), LEVELS,
                             {"q_threat": SHARE_TABLES}, "q_threat")
    small = next(f for f in table.figures if table.count(f.n_atoms) == 3)
    low, high = attacker_range(table, {small.key}, small.measures["yes"])
    assert low == pytest.approx(high) == 1
    assert {e.measure for e in derivable(table, {small.key}) if e.key == small.key} == {
        "n", "yes", "no"}


def test_a_row_where_only_one_cell_is_small_gets_a_rectangle_of_suppressions() -> None:
    """Two-way table with both margins: one small cell needs partners in its row and
    column, and a fourth cell so that the row and column sums do not pin them down."""
    units, columns = ("A", "B", "C"), ("kvinna", "man", "annat")
    counts = {("A", "kvinna"): 30, ("A", "man"): 25, ("A", "annat"): 2,
              ("B", "kvinna"): 40, ("B", "man"): 35, ("B", "annat"): 9,
              ("C", "kvinna"): 22, ("C", "man"): 28, ("C", "annat"): 11}
    index = {cell: i for i, cell in enumerate(counts)}

    def figure(name: str, cells) -> Figure:
        return Figure((("cell", name),), frozenset(index[c] for c in cells))

    figures = [figure(f"{u}/{c}", [(u, c)]) for u, c in counts]
    figures += [figure(u, [(u, c) for c in columns]) for u in units]
    figures += [figure(c, [(u, c) for u in units]) for c in columns]
    figures.append(figure("total", list(counts)))
    table = Table(tuple(counts.values()), tuple(figures))
    hidden = assert_primary_cells_hidden(table)
    cells = {dict(k)["cell"] for k in hidden}
    assert "A/annat" in cells
    assert len(cells & {f"{u}/{c}" for u, c in counts}) >= 4


def test_subtracting_a_filtered_view_from_the_unfiltered_one_reveals_nobody() -> None:
    """Unfiltered shares by gender and the same filtered to staff: the two politicians of
    the other gender are in neither table, yet unfiltered minus filtered would be them."""
    cells = list(itertools.product(("kvinna", "man", "annat"),
                                   ("förtroendevald", "medarbetare"), ("yes", "no")))
    counts = {("kvinna", "förtroendevald", "yes"): 9, ("kvinna", "förtroendevald", "no"): 30,
              ("kvinna", "medarbetare", "yes"): 14, ("kvinna", "medarbetare", "no"): 60,
              ("man", "förtroendevald", "yes"): 11, ("man", "förtroendevald", "no"): 28,
              ("man", "medarbetare", "yes"): 10, ("man", "medarbetare", "no"): 55,
              ("annat", "förtroendevald", "yes"): 2, ("annat", "förtroendevald", "no"): 0,
              ("annat", "medarbetare", "yes"): 1, ("annat", "medarbetare", "no"): 5}
    index = {cell: i for i, cell in enumerate(cells)}

    def share(name: str, gender: str | None, group: str | None) -> Figure:
        chosen = [c for c in cells if gender in (None, c[0]) and group in (None, c[1])]
        return Figure((("view", name), ("gender", gender or "all")),
                      frozenset(index[c] for c in chosen),
                      tuple((answer, frozenset(index[c] for c in chosen if c[2] == answer))
                            for answer in ("yes", "no")))

    genders = ("kvinna", "man", "annat")
    figures = [share("all", g, None) for g in (*genders, None)]
    figures += [share("staff", g, "medarbetare") for g in (*genders, None)]
    table = Table(tuple(counts[c] for c in cells), tuple(figures))
    group = frozenset(index[("annat", "förtroendevald", answer)] for answer in ("yes", "no"))
    group_yes = frozenset({index[("annat", "förtroendevald", "yes")]})
    assert not any(0 < table.count(f.n_atoms) < DEFAULT_MIN_CELL for f in figures)
    low, high = attacker_range(table, set(), group_yes)
    assert low == high == 2, "published as is, both politicians' answers are known"

    plan = protect(table)
    hidden = {s.key for s in plan.suppressed}
    assert hidden, "the differencing risk is caught although no cell is small"
    assert_hidden(table, hidden, group_yes, "yes of the two other-gender politicians")
    assert_hidden(table, hidden, group - group_yes, "no of the two other-gender politicians")


def test_the_published_plan_for_a_real_round_hides_every_small_cell() -> None:
    """On the reference round (a stratum with 3 'annat'), every primary cell of the item
    tables and the respondent counts has an open range for the attacker."""
    data = tidy_data.from_frame(tidy_data.read_responses(REFERENCE_A / "survey.csv"),
                                tidy_data.read_invited(REFERENCE_A / "invited.csv"))
    levels = {c: data.levels[c] for c in (*STRATA, "gender", "age_band")}
    breakdowns = {"q_threat": [*SHARE_TABLES, (*STRATA, "age_band")],
                  "respondents": [*COUNT_TABLES, (*STRATA, "age_band")]}
    table = table_from_frame(data.responses, levels, breakdowns, "q_threat")
    hidden = assert_primary_cells_hidden(table)
    plan = plan_for_report(data)
    reported = {tuple(sorted(e["cell"].items())) for e in plan["items"]["q_threat"]}
    expected = {tuple(sorted(dict(k[1:]).items())) for k in hidden
                if dict(k)["table"] == "q_threat"}
    assert reported == expected
    assert {"municipality": "Norrköping", "group": "förtroendevald", "gender": "annat"} in [
        e["cell"] for e in plan["respondents"]]


@pytest.mark.parametrize("seed", range(12))
def test_the_fast_derivability_check_agrees_with_the_attackers_linear_programmes(
        seed: int) -> None:
    """The one-LP-plus-row-space shortcut finds exactly the counts whose LP min = max."""
    rng = np.random.default_rng(seed)
    counts = {key: (int(rng.integers(0, 4)), int(rng.integers(0, 9)))
              for key in itertools.product(*LEVELS.values())}
    table = table_from_frame(survey_frame(counts), LEVELS,
                             {"q_threat": SHARE_TABLES}, "q_threat")
    keys = [f.key for f in table.figures]
    hidden = {keys[i] for i in rng.choice(len(keys), size=6, replace=False)}
    fast = {(e.key, e.measure) for e in derivable(table, hidden)}
    slow = {(b.key, b.measure) for b in attacker_bounds(table, hidden) if b.determined}
    assert fast == slow


def test_an_ordinal_distribution_hides_how_the_three_answered_each_level() -> None:
    """Counts per level of a worry scale are answer counts like "yes": a stratum of three
    is withheld and none of its level counts can be recovered from the margins."""
    rng = np.random.default_rng(5)
    frame = survey_frame(stratum_of_three()).assign(q_worry=lambda f: rng.integers(0, 3, len(f)))
    small = (frame["municipality"] == "Norrköping") & (frame["group"] == "förtroendevald")
    frame = pd.concat([frame[~small], frame[small].head(3)])
    table = table_from_frame(frame, LEVELS, {"q_worry": [(), ("municipality",), ("group",),
                                                         STRATA]}, "q_worry",
                             {str(level): level for level in range(3)})
    hidden = assert_primary_cells_hidden(table)
    assert (("table", "q_worry"), ("municipality", "Norrköping"),
            ("group", "förtroendevald")) in hidden


def test_a_small_group_pinned_only_by_whole_numbers_is_protected() -> None:
    """The published counts leave a group of one between 1/2 and 3/2 respondents: open for
    the linear relaxation (the old check, and a range wider than 1/2), but an attacker who
    knows counts are whole numbers reads 1. Two copies of the gadget ``a + p = 1,
    p + c = 1, a + c + d = 1`` (so ``p`` lies in [1/2, 1] and ``a`` in [0, 1/2], integers
    only ``p = 1, a = 0``), each published with a large pinned padding cell so that no
    published figure is itself small."""
    names = ("a", "p", "c", "d", "a2", "p2", "c2", "d2", "padding", "rest")
    counts = dict.fromkeys(names, 0) | {"p": 1, "d": 1, "p2": 1, "d2": 1, "padding": 100,
                                        "rest": 40}
    index = {name: i for i, name in enumerate(names)}

    def figure(name: str, members: list[str]) -> Figure:
        return Figure((("cell", name),), frozenset(index[m] for m in members))

    figures = [figure(f"gadget {copy}{i}", [*(f"{m}{copy}" for m in members), "padding"])
               for copy in ("", "2")
               for i, members in enumerate((["a", "p"], ["p", "c"], ["a", "c", "d"]))]
    figures += [figure("padding", ["padding"]), figure("total", list(names)),
                figure("small group", ["p", "a2"])]
    table = Table(tuple(counts[n] for n in names), tuple(figures))
    small = figures[-1]
    low, high = attacker_range(table, {small.key}, small.n_atoms)
    assert (low, high) == pytest.approx((0.5, 1.5)), "the relaxation alone leaves it open"
    assert integer_attacker_range(table, {small.key}, small.n_atoms) == (1, 1)
    hidden = assert_primary_cells_hidden(table)
    assert (("cell", "padding"),) in hidden
