"""Logistic regression of a binary item on categorical covariates, with separation checks."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.proportions import CONFIDENCE, normal_upper_tail, z_value

#: IRLS stops as R's ``glm.fit`` does, when ``|dev - dev_old| / (|dev| + 0.1) < EPSILON``;
#: like R the covariance comes from the last step's weights. R's default 1e-8 leaves
#: standard errors up to ~2e-4 relative off the converged ones, hence the tight value (the
#: reference uses ``glm.control(epsilon = 1e-14)``).
EPSILON = 1e-14
MAX_ITERATIONS = 100
#: R's ``glm.control()`` defaults, for figures a researcher reproduces with a plain ``glm()``.
R_DEFAULT_EPSILON = 1e-8
R_DEFAULT_MAX_ITERATIONS = 25
#: A fitted probability this close to 0 or 1 signals (quasi-)separation, as in R's warning
#: "fitted probabilities numerically 0 or 1 occurred".
FITTED_EPSILON = 1e-8
#: R's logit inverse link (``binomial()$linkinv``, C ``logit_linkinv``) clamps the linear
#: predictor beyond +/- 30, keeping fitted values and IRLS weights off 0 and 1.
LINK_THRESHOLD = 30.0
DOUBLE_EPSILON = float(np.finfo(float).eps)


@dataclass(frozen=True)
class Coefficient:
    """One term on the log-odds scale with its Wald test and interval.

    A ``separated`` term (a level with no events or no non-events) has no finite maximum
    likelihood estimate: its figures are ``None`` rather than the arbitrary numbers an
    iterative fit stops at.
    """

    term: str
    variable: str
    level: str | None
    reference: str | None
    estimate: float | None
    std_error: float | None
    z_value: float | None
    p_value: float | None
    odds_ratio: float | None
    wald_lower: float | None
    wald_upper: float | None
    separated: bool = False


@dataclass(frozen=True)
class LogisticFit:
    """A binomial GLM with logit link, ``y ~ factor1 + factor2 + ...``, treatment coding.

    ``levels_with_zero_events_or_nonevents`` lists ``(variable, level)`` pairs whose rows
    are all 0 or all 1. Their coefficients diverge and are withheld (``separated``); the
    other coefficients converge while the separated ones drift off, so they are reported.
    When a reference level is separated, or fitted probabilities reach 0 or 1 outside the
    separated levels (separation by a combination of levels), ``coefficients`` is empty:
    the separation is the result.
    """

    formula: str
    family: str
    factors: tuple[str, ...]
    levels: Mapping[str, tuple[str, ...]]
    n_used: int
    converged: bool
    iterations: int
    deviance: float | None
    null_deviance: float | None
    aic: float | None
    warnings: tuple[str, ...]
    levels_with_zero_events_or_nonevents: tuple[tuple[str, str], ...]
    separation_suspected: bool
    coefficients: tuple[Coefficient, ...]


def logistic_regression(frame: pd.DataFrame, outcome: str,
                        levels: Mapping[str, Sequence[str]],
                        confidence: float = CONFIDENCE, epsilon: float = EPSILON,
                        max_iterations: int = MAX_ITERATIONS) -> LogisticFit:
    """Fit ``outcome ~ factors`` by IRLS as R's ``glm.fit``, references set explicitly.

    ``levels`` maps each factor column to its levels, the first being the reference (an
    alphabetical default would make a three-person category the reference). Rows with a
    missing or not-asked outcome or a level not listed are dropped, then levels without
    rows (the first remaining level becomes the reference). Term names follow R
    (``municipalityNorrköping``), Wald intervals are ``beta +/- z * SE`` on the log scale.

    Separation is detected before fitting (a level whose rows are all 0 or all 1: its
    coefficient diverges) and after (fitted probabilities within 1e-8 of 0 or 1 outside the
    separated levels); it is reported instead of the coefficients it makes meaningless.
    ``epsilon`` and ``max_iterations`` are R's ``glm.control`` settings; pass
    :data:`R_DEFAULT_EPSILON` and :data:`R_DEFAULT_MAX_ITERATIONS` to reproduce what a plain
    ``glm()`` prints (the iteration count equals R's ``iter``).

    Parameters
    ----------
    frame : DataFrame
        Tidy rows with ``outcome`` (0/1, ``NaN`` missing, negative codes not asked) and the
        factor columns.
    outcome : str
        The binary item.
    levels : mapping of str to sequence of str
        Factor columns and their levels, reference first.
    confidence : float
        Level of the Wald intervals.
    epsilon, max_iterations
        IRLS stopping rule, as R's ``glm.control``.

    Returns
    -------
    LogisticFit

    References
    ----------
    McCullagh, P. & Nelder, J. A. (1989). Generalized Linear Models, 2nd ed., ch. 4.
    Albert, A. & Anderson, J. A. (1984). On the existence of maximum likelihood estimates
    in logistic regression models. Biometrika 71, 1-10.
    """
    y = frame[outcome].to_numpy(dtype=float)
    used = ~np.isnan(y) & (y >= 0)
    # Each factor as the codes of its listed levels (-1: not listed), so that finding a
    # level's rows compares integers, not strings, over a county's 100,000 rows.
    codes = {f: pd.Index(list(values)).get_indexer(frame[f]) for f, values in levels.items()}
    for factor_codes in codes.values():
        used &= factor_codes >= 0
    y = y[used]
    codes = {f: factor_codes[used] for f, factor_codes in codes.items()}
    code_of = {f: {level: code for code, level in enumerate(values)}
               for f, values in levels.items()}

    def rows_at(factor: str, level: str) -> np.ndarray:
        return codes[factor] == code_of[factor][level]

    # Levels nobody in the item's universe has (a filter asked only one group) have no
    # coefficient; a factor left with one level is constant and drops out of the model.
    present = {f: tuple(lv for lv in values if rows_at(f, lv).any())
               for f, values in levels.items()}
    levels = {f: values for f, values in present.items() if len(values) > 1}
    factors = tuple(levels)
    zero_levels = tuple(
        (factor, level) for factor in factors for level in levels[factor]
        if _constant(y[rows_at(factor, level)])
    )
    full_terms = _terms(levels)
    formula = f"y ~ {' + '.join(factors) or '1'}"
    if len(set(y)) < 2:
        return LogisticFit(formula, "binomial(logit)", factors, _as_tuples(levels), len(y),
                           False, 0, None, None if not len(y) else 0.0, None,
                           ("the outcome does not vary: nothing to model",),
                           zero_levels, bool(len(y)), ())
    null_deviance = _deviance(y, np.full_like(y, y.mean()))
    messages = [f"{factor} = {level}: no events or no non-events, coefficient is infinite"
                for factor, level in zero_levels]
    if any(level == levels[factor][0] for factor, level in zero_levels):
        return LogisticFit(formula, "binomial(logit)", factors, _as_tuples(levels), len(y),
                           False, 0, None, null_deviance, None,
                           (*messages, "a reference level is separated: no coefficients"),
                           zero_levels, True, ())
    distinct = _distinct_rows(codes, code_of, rows_at, levels, y)
    if np.linalg.matrix_rank(distinct[0]) < len(full_terms):
        return LogisticFit(formula, "binomial(logit)", factors, _as_tuples(levels), len(y),
                           False, 0, None, null_deviance, None,
                           (*messages, "levels are confounded in these answers: "
                            "the coefficients are not identified"),
                           zero_levels, bool(zero_levels), ())
    fit = _irls(*distinct, epsilon, max_iterations)
    if not fit.converged:
        messages.append(f"IRLS did not converge in {max_iterations} iterations")
    in_separated_level = np.zeros(len(y), dtype=bool)
    for factor, level in zero_levels:
        in_separated_level |= rows_at(factor, level)
    fitted = fit.fitted[~in_separated_level]
    extreme = bool(np.any((fitted < FITTED_EPSILON) | (fitted > 1 - FITTED_EPSILON)))
    if extreme:
        messages.append("fitted probabilities numerically 0 or 1 occurred")
    separated = bool(zero_levels) or extreme
    errors = np.sqrt(np.diag(fit.covariance))
    z = z_value(confidence)
    coefficients = []
    if not extreme:
        for (term, variable, level, reference), beta, se in zip(
                full_terms, fit.coefficients, errors, strict=True):
            if (variable, level) in zero_levels:
                coefficients.append(Coefficient(term, variable, level, reference, *[None] * 7,
                                                separated=True))
                continue
            beta, se = float(beta), float(se)
            coefficients.append(Coefficient(
                term, variable, level, reference, beta, se, beta / se,
                2 * normal_upper_tail(abs(beta / se)), float(np.exp(beta)),
                beta - z * se, beta + z * se))
    deviance = fit.deviance
    return LogisticFit(
        formula=formula,
        family="binomial(logit)",
        factors=factors,
        levels=_as_tuples(levels),
        n_used=len(y),
        converged=fit.converged,
        iterations=fit.iterations,
        deviance=deviance,
        null_deviance=null_deviance,
        aic=deviance + 2 * len(full_terms),
        warnings=tuple(messages),
        levels_with_zero_events_or_nonevents=zero_levels,
        separation_suspected=separated,
        coefficients=tuple(coefficients),
    )


@dataclass(frozen=True)
class _Irls:
    coefficients: np.ndarray
    covariance: np.ndarray
    fitted: np.ndarray
    deviance: float
    iterations: int
    converged: bool


def _irls(x: np.ndarray, outcome: np.ndarray, counts: np.ndarray, inverse: np.ndarray,
          epsilon: float, max_iterations: int) -> _Irls:
    """Iteratively reweighted least squares for the binomial logit model, step by step as
    R's ``glm.fit`` (R 4.x, ``src/library/stats/R/glm.R``).

    Start from ``mu = (y + 1/2) / 2``; each iteration solves the weighted least squares of
    the working response ``z = eta + (y - mu) / mu'(eta)`` with weights
    ``mu'(eta)^2 / (mu (1 - mu))`` by QR, and stops when
    ``|dev - dev_old| / (|dev| + 0.1) < epsilon``. The inverse link and its derivative are
    clamped beyond ``|eta| > 30`` as R's C code does, so separated fits stop where R's do.
    The covariance ``(X' W X)^-1`` uses the weights of the last iteration's start, as
    ``summary.glm`` does (dispersion 1).

    Written out rather than taken from statsmodels: the fit is a dozen lines of numpy, its
    figures equal R's to 1e-9 (tests/analysis/test_reference.py), and importing
    statsmodels' GLM costs a fresh ``paverkan stats`` process more time than computing
    every figure (bench/stats.py).

    Rows with the same design and outcome have the same ``mu``, weight and working response
    at every step (from the start, which depends on the outcome only), so the least squares
    run on the distinct rows (:func:`_distinct_rows`), each scaled by the square root of how
    many it stands for: ``X' W X`` and ``X' W z`` are the same sums, the iterations R's. A
    county round's 100,000 rows are a few hundred distinct ones.
    """
    scale = np.sqrt(counts)
    mu = (outcome + 0.5) / 2
    eta = np.log(mu / (1 - mu))
    deviance_old = _deviance(outcome, mu, counts)
    converged, iterations = False, 0
    while not converged and iterations < max_iterations:
        iterations += 1
        slope = _inverse_link_derivative(eta)
        weights = slope / np.sqrt(mu * (1 - mu)) * scale
        q, r = np.linalg.qr(x * weights[:, None])
        coefficients = np.linalg.solve(r, q.T @ ((eta + (outcome - mu) / slope) * weights))
        eta = x @ coefficients
        mu = _inverse_link(eta)
        deviance = _deviance(outcome, mu, counts)
        converged = abs(deviance - deviance_old) / (abs(deviance) + 0.1) < epsilon
        deviance_old = deviance
    r_inverse = np.linalg.inv(r)
    return _Irls(coefficients, r_inverse @ r_inverse.T, mu[inverse], deviance, iterations,
                 converged)


def _distinct_rows(codes: Mapping[str, np.ndarray], code_of: Mapping[str, Mapping[str, int]],
                   rows_at: Callable[[str, str], np.ndarray],
                   levels: Mapping[str, Sequence[str]], y: np.ndarray) -> tuple[np.ndarray, ...]:
    """The distinct rows of ``[design | y]`` (the treatment-coded design of :func:`_design`)
    as (design rows, outcomes, counts, and for each original row the index of its distinct
    row). Each row's 0/1 columns are read as the bits of one integer, which numpy finds the
    distinct values of far faster than distinct rows; the integer is summed from the
    factors' level codes, one look-up per factor, without building the design (a county's
    17 columns over 100,000 rows took longer to build and pack than the fit)."""
    width = len(_terms(levels)) + 1
    if width < 63 and np.isin(y, (0.0, 1.0)).all():
        keys = np.ones(len(y), dtype=np.int64)
        column = 1
        for factor, values in levels.items():
            bit_of_code = np.zeros(len(code_of[factor]), dtype=np.int64)
            for level in values[1:]:
                bit_of_code[code_of[factor][level]] = np.int64(1) << column
                column += 1
            keys += bit_of_code[codes[factor]]
        keys += y.astype(np.int64) << (width - 1)
        unique, inverse, counts = np.unique(keys, return_inverse=True, return_counts=True)
        distinct = ((unique[:, None] >> np.arange(width, dtype=np.int64)) & 1).astype(float)
    else:
        distinct, inverse, counts = np.unique(
            np.column_stack([_design(rows_at, len(y), levels), y]), axis=0,
            return_inverse=True, return_counts=True)
    return distinct[:, :-1], distinct[:, -1], counts.astype(float), inverse.ravel()


def _constant(values: np.ndarray) -> bool:
    """Not empty, and every value the same."""
    return values.size > 0 and values.min() == values.max()


def _inverse_link(eta: np.ndarray) -> np.ndarray:
    """R's ``logit_linkinv``: ``exp(eta) / (1 + exp(eta))`` with ``eta`` clamped at +/-30."""
    odds = np.exp(np.clip(eta, -LINK_THRESHOLD, LINK_THRESHOLD))
    odds = np.where(eta < -LINK_THRESHOLD, DOUBLE_EPSILON,
                    np.where(eta > LINK_THRESHOLD, 1 / DOUBLE_EPSILON, odds))
    return odds / (1 + odds)


def _inverse_link_derivative(eta: np.ndarray) -> np.ndarray:
    """R's ``logit_mu_eta``: ``exp(eta) / (1 + exp(eta))^2``, machine epsilon beyond +/-30."""
    odds = np.exp(np.clip(eta, -LINK_THRESHOLD, LINK_THRESHOLD))
    return np.where(np.abs(eta) > LINK_THRESHOLD, DOUBLE_EPSILON, odds / (1 + odds) ** 2)


def _terms(levels: Mapping[str, Sequence[str]]) -> list[tuple[str, str, str | None, str | None]]:
    """(R term name, variable, level, reference) for the intercept and each dummy."""
    terms: list[tuple[str, str, str | None, str | None]] = [
        ("(Intercept)", "(Intercept)", None, None)]
    for factor, values in levels.items():
        terms += [(f"{factor}{level}", factor, level, values[0]) for level in values[1:]]
    return terms


def _design(rows_at: Callable[[str, str], np.ndarray], n: int,
            levels: Mapping[str, Sequence[str]]) -> np.ndarray:
    """Treatment-coded design matrix, columns in the order of :func:`_terms`; ``rows_at``
    marks a level's rows."""
    dummies = [np.ones(n)]
    dummies += [rows_at(variable, level).astype(float)
                for _, variable, level, _ in _terms(levels)[1:]]
    return np.column_stack(dummies)


def _deviance(y: np.ndarray, mu: np.ndarray, counts: np.ndarray | None = None) -> float:
    """Binomial deviance of 0/1 outcomes: ``-2 * log-likelihood`` (each row ``counts`` times)."""
    terms = np.where(y == 1, np.log(mu), np.log1p(-mu))
    return float(-2 * (np.sum(terms) if counts is None else terms @ counts))


def _as_tuples(levels: Mapping[str, Sequence[str]]) -> dict[str, tuple[str, ...]]:
    return {factor: tuple(values) for factor, values in levels.items()}
