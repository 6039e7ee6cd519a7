"""An attacker who holds a round's published figures and solves for what was withheld.

Independent of :mod:`analysis.disclosure`: it reads only the published JSON
(``analysis.report.build``) and turns every number in it that counts people into an equation
over whole, non-negative unknowns:

- the respondents of every finest category (municipality x group x gender x age band, a
  missing gender or age band being a category of its own), shared by every item, so an
  item's answers and another's are linked through the same people;
- per item, how many of them answered each way (yes, no, an ordinal level, or nothing);
- every share, distribution and respondent count, every 2x2 table printed inside a
  comparison, every CMH stratum table, the overall test's table, rank tests' group sizes,
  the response counts and rates, the items' missing counts;
- every published logistic model: its ``n_used`` and its score equations
  ``sum_i x_ij (y_i - mu_i) = 0`` with mu from the published coefficients (a pattern's
  fitted probability), which tie the "yes" counts of the patterns together;
- every published weighted share: ``sum_h w_h yes_h = share * sum_h w_h n_h`` with the
  published weights ``invited_h / responded_h``.

A withheld count is *recovered* when every whole-number solution gives it the same value.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy.optimize import Bounds, LinearConstraint, linprog, milp
from scipy.sparse import csr_array, vstack

COLUMNS = ("municipality", "group", "gender", "age_band")
#: Random objectives whose vertices serve as cheap whole-number witnesses.
VERTICES = 12
#: Then whole-number optima of random objectives over the targets left.
INTEGER_WITNESSES = 4
#: Published figures are rounded doubles: model and weighting equations hold to this.
FLOAT_EQUATION_TOLERANCE = 1e-6


@dataclass(frozen=True)
class Target:
    """A withheld count the attacker tries to recover: ``answer`` of ``item`` in the cell
    (``"n"`` for how many answered; item ``None`` for a respondent count)."""

    what: str
    weights: np.ndarray
    item: str | None = None
    cell: tuple[tuple[str, str], ...] = ()
    answer: str = "n"


class Attacker:
    def __init__(self, published: Mapping) -> None:
        meta = published["meta"]
        self.published = published
        self.levels = {"municipality": list(meta["municipalities"]),
                       "group": list(meta["groups"]),
                       "gender": [*meta["genders"], None],
                       "age_band": [*meta["age_bands"], None]}
        self.categories = list(itertools.product(*(self.levels[c] for c in COLUMNS)))
        self.states = {item: ["yes", "no", "none"] for item in meta["items"]}
        self.states.update({item: [*(str(v) for v in published["ordinal"][item]["distribution"]
                                     ["total"]["levels"]), "none"]
                            for item in meta["ordinal_items"]})
        self.offset = {}
        size = len(self.categories)
        for item, states in self.states.items():
            self.offset[item] = size
            size += len(self.categories) * len(states)
        self.size = size
        self._counts_cache: dict[tuple[str, str], list[tuple[np.ndarray, int]]] = {}
        self.rows: list[csr_array] = []
        self.lower: list[float] = []
        self.upper: list[float] = []
        self._read()

    # --- unknowns -------------------------------------------------------------------
    def where(self, **cell: str | None) -> np.ndarray:
        """Mask of the finest categories inside ``cell``."""
        return np.array([all(c[COLUMNS.index(k)] == v for k, v in cell.items())
                         for c in self.categories])

    def respondents(self, mask: np.ndarray) -> np.ndarray:
        weights = np.zeros(self.size)
        weights[:len(self.categories)][mask] = 1.0
        return weights

    def answers(self, item: str, mask: np.ndarray, states: Iterable[str]) -> np.ndarray:
        weights = np.zeros(self.size)
        per_state = len(self.states[item])
        for state in states:
            position = self.states[item].index(state)
            start = self.offset[item] + position
            indices = start + per_state * np.flatnonzero(mask)
            weights[indices] = 1.0
        return weights

    def truth(self, frame: pd.DataFrame) -> np.ndarray:
        """The real unknowns of a tidy response frame (to check the equations hold)."""
        values = np.zeros(self.size)
        index = {c: i for i, c in enumerate(self.categories)}
        keys = [tuple(None if pd.isna(v) else v for v in row)
                for row in frame[list(COLUMNS)].itertuples(index=False)]
        for position, key in enumerate(keys):
            values[index[key]] += 1
            for item, states in self.states.items():
                answer = frame[item].iloc[position]
                state = ("none" if pd.isna(answer) else
                         ("yes" if answer == 1 else "no") if states[0] == "yes"
                         else str(int(answer)))
                values[self.offset[item] + index[key] * len(states) + states.index(state)] += 1
        return values

    # --- equations ------------------------------------------------------------------
    def equal(self, weights: np.ndarray, value: float, tolerance: float = 0.0) -> None:
        self.rows.append(csr_array(weights.reshape(1, -1)))
        self.lower.append(value - tolerance)
        self.upper.append(value + tolerance)

    def _cell(self, entry: Mapping) -> np.ndarray:
        return self.where(**{c: entry[c] for c in COLUMNS if c in entry})

    def _share(self, item: str, mask: np.ndarray, yes: int | None, n: int | None) -> None:
        if yes is not None:
            self.equal(self.answers(item, mask, ["yes"]), yes)
        if n is not None:
            self.equal(self.answers(item, mask, ["yes", "no"]), n)

    def _read(self) -> None:
        published = self.published
        all_people = np.ones(len(self.categories), dtype=bool)
        self.equal(self.respondents(all_people), published["meta"]["n_rows"])
        for item, states in self.states.items():
            for mask in np.eye(len(self.categories), dtype=bool):
                weights = self.answers(item, mask, states) - self.respondents(mask)
                self.equal(weights, 0)
        rates = published["response_rates"]
        for entry in (*rates["by_stratum"], *rates["by_municipality"], rates["total"]):
            if entry["responded"] is not None:
                self.equal(self.respondents(self._cell(entry)), entry["responded"])
        for rows in published["demographics"].values():
            for entry in rows:
                if entry["n"] is not None:
                    self.equal(self.respondents(self._cell(entry)), entry["n"])
        for item, figures in published["items"].items():
            self._binary(item, figures)
        for item, figures in published["ordinal"].items():
            self._ordinal(item, figures)

    def _binary(self, item: str, figures: Mapping) -> None:
        everyone = np.ones(len(self.categories), dtype=bool)
        self.equal(self.answers(item, everyone, ["none"]), figures["n_missing"])
        lists = [figures["total"], *figures["cells"], *figures["by_municipality"],
                 *figures["by_group"],
                 *(e for key, value in figures.items() if key.startswith("cells_by_")
                   for e in value)]
        for entry in lists:
            self._share(item, self._cell(entry), entry["yes"], entry["n"])
        for comparison in figures["comparisons"]:
            pair = (comparison["reference"], comparison["municipality"])
            tables = [({}, comparison["difference"].get("table"))]
            tables += [({"group": d["group"]}, d.get("table"))
                       for d in comparison["difference_by_group"]]
            tables += [({"group": s["group"]}, s) for s in
                       comparison["cmh"].get("strata_tables") or []]
            for where, table in tables:
                if not table or table.get("yes_first") is None:
                    continue
                for municipality, side in zip(pair, ("first", "second"), strict=True):
                    mask = self.where(municipality=municipality, **where)
                    self._share(item, mask, table[f"yes_{side}"],
                                table[f"yes_{side}"] + table[f"no_{side}"])
        for row in figures["overall"].get("table") or []:
            self._share(item, self.where(municipality=row["municipality"]), row["yes"],
                        row["yes"] + row["no"])
        for key in ("logistic", "logistic_kvinna_man_only"):
            if figures.get(key) and figures[key].get("coefficients"):
                self._model(item, figures[key])
        strata = {(s["municipality"], s["group"]): s
                  for s in self.published["response_rates"]["by_stratum"]}
        for entry in figures["weighted"]:
            if entry.get("share_formula") is not None:
                self._weighted(item, entry, strata)

    def _model(self, item: str, model: Mapping) -> None:
        factors = model["factors"]
        levels = model["levels"]
        coefficients = {(c["variable"], c["level"]): c["estimate"]
                        for c in model["coefficients"]}
        if any(v is None for v in coefficients.values()):
            return
        patterns = list(itertools.product(*(levels[f] for f in factors)))
        in_model = np.zeros(self.size)
        columns: dict[tuple, np.ndarray] = {}
        for pattern in patterns:
            mask = self.where(**dict(zip(factors, pattern, strict=True)))
            eta = coefficients[("(Intercept)", None)] + sum(
                coefficients.get((f, level), 0.0) for f, level in zip(factors, pattern,
                                                                      strict=True))
            mu = 1 / (1 + math.exp(-eta))
            residual = (self.answers(item, mask, ["yes"])
                        - mu * self.answers(item, mask, ["yes", "no"]))
            in_model += self.answers(item, mask, ["yes", "no"])
            terms = [("(Intercept)", None), *((f, level) for f, level in zip(
                factors, pattern, strict=True) if (f, level) in coefficients)]
            for term in terms:
                columns[term] = columns.get(term, np.zeros(self.size)) + residual
        self.equal(in_model, model["n_used"])
        for weights in columns.values():
            self.equal(weights, 0.0, FLOAT_EQUATION_TOLERANCE)

    def _weighted(self, item: str, entry: Mapping, strata: Mapping) -> None:
        domain = (self.levels["municipality"] if entry["municipality"] == "total"
                  else [entry["municipality"]])
        weights = np.zeros(self.size)
        for (municipality, group), stratum in strata.items():
            if municipality not in domain:
                continue
            w = stratum["invited"] / stratum["responded"]
            mask = self.where(municipality=municipality, group=group)
            weights += w * (self.answers(item, mask, ["yes"])
                            - entry["share_formula"] * self.answers(item, mask, ["yes", "no"]))
        self.equal(weights, 0.0, FLOAT_EQUATION_TOLERANCE)

    def _ordinal(self, item: str, figures: Mapping) -> None:
        everyone = np.ones(len(self.categories), dtype=bool)
        self.equal(self.answers(item, everyone, ["none"]), figures["n_missing"])
        distribution = figures["distribution"]
        for entry in (distribution["total"], *distribution["cells"],
                      *distribution["by_municipality"], *distribution["by_group"]):
            if entry["n"] is None:
                continue
            mask = self._cell(entry)
            levels = [str(v) for v in entry["levels"]]
            self.equal(self.answers(item, mask, levels), entry["n"])
            for level, count in zip(levels, entry["counts"], strict=True):
                self.equal(self.answers(item, mask, [level]), count)
        answered = self.states[item][:-1]
        for comparison in figures["comparisons"]:
            pair = (comparison["reference"], comparison["municipality"])
            tests = [({}, comparison["wilcoxon"])]
            tests += [({"group": t["group"]}, t) for t in comparison["wilcoxon_by_group"]]
            for where, test in tests:
                if not test or test.get("n_first") is None:
                    continue
                for municipality, side in zip(pair, ("first", "second"), strict=True):
                    self.equal(self.answers(item, self.where(municipality=municipality,
                                                             **where), answered),
                               test[f"n_{side}"])

    # --- the attack -----------------------------------------------------------------
    def targets(self) -> list[Target]:
        """Every count of every primary (too small) cell in the published plan."""
        plan = self.published["disclosure"]
        found = []
        for item, entries in plan["items"].items():
            answers = ["yes", "no"] if self.states[item][0] == "yes" else self.states[item][:-1]
            for entry in entries:
                if entry["reason"] != "primary":
                    continue
                mask = self.where(**entry["cell"])
                cell = tuple(entry["cell"].items())
                found.append(Target(f"{item} {entry['cell']} n",
                                    self.answers(item, mask, answers), item, cell))
                found += [Target(f"{item} {entry['cell']} {a}", self.answers(item, mask, [a]),
                                 item, cell, a) for a in answers]
        found += [Target(f"respondents {e['cell']}", self.respondents(self.where(**e["cell"])))
                  for e in plan["respondents"] if e["reason"] == "primary"]
        return found

    @property
    def matrix(self) -> csr_array:
        return vstack(self.rows, format="csr")

    def constraint(self) -> LinearConstraint:
        return LinearConstraint(self.matrix, self.lower, self.upper)

    def violations(self, values: np.ndarray) -> list[int]:
        """Equations the true unknowns break (there must be none)."""
        got = self.matrix @ values
        slack = 1e-7 * np.maximum(1.0, np.abs(got))
        return [i for i, v in enumerate(got)
                if not self.lower[i] - slack[i] <= v <= self.upper[i] + slack[i]]

    def unanimous(self, target: Target) -> bool:
        """Whether the target is a count of 0 answers that a published cell containing it
        shows as 0 already (nobody in the published group gave that answer: policy rule 4,
        a property of the whole group)."""
        if target.item is None or target.answer == "n":
            return False
        inner = self.where(**dict(target.cell))
        return any(mask[inner].all() and count == 0
                   for mask, count in self._published_counts(target.item, target.answer))

    def _published_counts(self, item: str, answer: str) -> list[tuple[np.ndarray, int]]:
        if (item, answer) not in self._counts_cache:
            self._counts_cache[item, answer] = self._read_counts(item, answer)
        return self._counts_cache[item, answer]

    def _read_counts(self, item: str, answer: str) -> list[tuple[np.ndarray, int]]:
        if item in self.published["items"]:
            figures = self.published["items"][item]
            entries = [figures["total"], *figures["cells"], *figures["by_municipality"],
                       *figures["by_group"],
                       *(e for key, value in figures.items() if key.startswith("cells_by_")
                         for e in value)]
            return [(self._cell(e), e[answer] if answer == "yes" else e["n"] - e["yes"])
                    for e in entries if e["n"] is not None]
        distribution = self.published["ordinal"][item]["distribution"]
        entries = [distribution["total"], *distribution["cells"],
                   *distribution["by_municipality"], *distribution["by_group"]]
        return [(self._cell(e), e["counts"][[str(v) for v in e["levels"]].index(answer)])
                for e in entries if e["n"] is not None]

    def recovered(self, targets: Sequence[Target], truth: np.ndarray,
                  seed: int = 0) -> list[str]:
        """The targets every whole-number solution pins to their true value.

        Cheap witnesses first: vertices of random objectives (integral ones are whole-number
        solutions; any target they move is open), then whole-number optima of random
        objectives; then, per target left, integer programmes for a solution below and
        above the truth."""
        constraint = self.constraint()
        bounds = Bounds(np.zeros(self.size), np.full(self.size, np.inf))
        weights = np.array([t.weights for t in targets])
        true_values = weights @ truth
        open_ = np.zeros(len(targets), dtype=bool)
        rng = np.random.default_rng(seed)
        matrix = self.matrix
        for _ in range(VERTICES):
            cost = rng.normal(size=len(targets)) @ weights
            vertex = linprog(cost, A_ub=vstack([matrix, -matrix], format="csr"),
                             b_ub=np.concatenate([self.upper, -np.array(self.lower)]),
                             bounds=(0, None), method="highs").x
            if vertex is not None and np.allclose(vertex, np.round(vertex), atol=1e-7):
                open_ |= np.abs(weights @ np.round(vertex) - true_values) > 0.5
        integrality = np.ones(self.size)
        for _ in range(INTEGER_WITNESSES):
            if open_.all():
                break
            cost = (rng.normal(size=len(targets)) * ~open_) @ weights
            solution = milp(cost, constraints=constraint, integrality=integrality,
                            bounds=bounds).x
            open_ |= np.abs(weights @ np.round(solution) - true_values) > 0.5
        pinned = []
        for position in np.flatnonzero(~open_):
            target, value = targets[position], true_values[position]
            moved = False
            for sign in (1.0, -1.0):
                result = milp(sign * target.weights, constraints=constraint,
                              integrality=integrality, bounds=bounds)
                if result.x is not None and abs(target.weights @ result.x - value) > 0.5:
                    moved = True
                    break
            if not moved:
                pinned.append(f"{target.what} = {value:g}")
        return pinned
