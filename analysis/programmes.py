"""Linear and integer programmes over the published equations, solved by HiGHS.

HiGHS is reached through ``highspy`` (the solver scipy wraps), imported when a table first
needs a programme: loading ``scipy.optimize`` would cost every start of ``paverkan stats``
a tenth of a second or more.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


class Unbounded(ArithmeticError):
    """The programme has no finite optimum."""


def solve(cost: np.ndarray, rows: np.ndarray, values: np.ndarray) -> np.ndarray:
    """A minimiser of ``cost @ x`` over ``rows @ x = values``, ``x >= 0``; the true atoms
    are a solution, so the programme is feasible."""
    size = len(cost)
    return Programme(rows, values, values, np.zeros(size), np.full(size, np.inf)).minimise(
        cost)


def maximum(objective: np.ndarray, rows: np.ndarray, values: np.ndarray) -> float:
    """Largest ``objective @ x`` (infinite when no published figure bounds it)."""
    try:
        return float(objective @ solve(-objective, rows, values))
    except Unbounded:
        return float("inf")


@dataclass(frozen=True)
class Sparse:
    """A matrix as its nonzero entries (row, column, value): the programmes of a county's
    tables are over 99 % zeros, and dense copies of them cost more than solving them."""

    shape: tuple[int, int]
    rows: np.ndarray
    columns: np.ndarray
    values: np.ndarray

    @classmethod
    def of(cls, matrix: np.ndarray) -> Sparse:
        rows, columns = np.nonzero(matrix)
        return cls(matrix.shape, rows, columns, matrix[rows, columns])


class Programme:
    """``row_lower <= matrix @ x <= row_upper``, ``lower <= x <= upper``, handed to HiGHS
    once: several objectives over the same constraints re-solve from the last basis."""

    def __init__(self, matrix: np.ndarray | Sparse, row_lower: np.ndarray,
                 row_upper: np.ndarray, lower: np.ndarray, upper: np.ndarray) -> None:
        import highspy

        self._highspy = highspy
        if not isinstance(matrix, Sparse):
            matrix = Sparse.of(matrix)
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
        :class:`Unbounded`."""
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
            raise Unbounded(solver.modelStatusToString(status))
        if status != highspy.HighsModelStatus.kOptimal:
            raise RuntimeError(f"HiGHS: {solver.modelStatusToString(status)}")
        return np.array(solver.getSolution().col_value)
