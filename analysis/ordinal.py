"""Ordinal items: distributions and the Wilcoxon-Mann-Whitney rank-sum test."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from analysis.proportions import normal_upper_tail


@dataclass(frozen=True)
class Distribution:
    """Counts and shares of each level among those who answered, with mean and median."""

    n: int
    levels: tuple[int, ...]
    counts: tuple[int, ...]
    shares: tuple[float, ...] | None
    mean: float | None
    median: float | None


@dataclass(frozen=True)
class RankSumTest:
    """Wilcoxon-Mann-Whitney test of first vs second (normal approximation, tie-corrected).

    ``W`` is the Mann-Whitney U of the first sample (R's ``wilcox.test`` statistic,
    ``sum of first ranks - n1 (n1 + 1) / 2``), ``U_second = n1 n2 - W``. ``p_correct_true``
    uses the 0.5 continuity correction (R's and scipy's default), ``p_correct_false`` does
    not; ``z_no_correction`` and ``sigma_tie_corrected`` belong to the latter.
    ``rank_biserial = 2 W / (n1 n2) - 1`` is positive when the first sample ranks higher.
    """

    n_first: int
    n_second: int
    W: float
    U_second: float
    z_no_correction: float
    sigma_tie_corrected: float
    p_correct_true: float
    p_correct_false: float
    rank_biserial: float


def distribution(values: np.ndarray, levels: Sequence[int]) -> Distribution:
    """Distribution of an ordinal item over ``levels``; ``NaN`` (missing) is dropped.

    The median of an even count averages the two middle values (R's ``median``).
    """
    answered = np.asarray(values, dtype=float)
    answered = answered[~np.isnan(answered)]
    counts = tuple(int(np.sum(answered == level)) for level in levels)
    n = int(answered.size)
    if n == 0:
        return Distribution(0, tuple(levels), counts, None, None, None)
    return Distribution(n, tuple(levels), counts, tuple(c / n for c in counts),
                        float(answered.mean()), float(np.median(answered)))


def rank_sum_test(first: np.ndarray, second: np.ndarray) -> RankSumTest | None:
    """Two-sided Wilcoxon rank-sum / Mann-Whitney U test with tie-corrected variance.

    Always the normal approximation (ordinal items are full of ties, where exact p-values
    do not apply), both with and without the continuity correction, computed as R's
    ``wilcox.test(exact = FALSE, correct = TRUE/FALSE)``: ``W = sum of first mid-ranks -
    n1 (n1 + 1) / 2``, ``z = (W - n1 n2 / 2 - CORRECTION) / sigma`` with the tie-corrected
    ``sigma^2 = n1 n2 / 12 ((n + 1) - sum(t^3 - t) / (n (n - 1)))`` and ``CORRECTION =
    sign(W - n1 n2 / 2) / 2``; ``p = 2 min(Phi(z), 1 - Phi(z))``. (scipy's
    ``mannwhitneyu(method="asymptotic")`` gives the same; its ``method="auto"`` and R's
    ``exact = NULL`` choose differently for small samples, and ``scipy.stats.ranksums``
    lacks the tie correction.)

    Parameters
    ----------
    first, second : array of float
        Answer codes of the two groups, ``NaN`` for missing.

    Returns
    -------
    RankSumTest or None

    References
    ----------
    Mann, H. B. & Whitney, D. R. (1947). Ann. Math. Statist. 18, 50-60.
    Hollander, M., Wolfe, D. A. & Chicken, E. (2014). Nonparametric Statistical Methods,
    3rd ed., section 4.1 (ties). Kerby, D. S. (2014). The simple difference formula: an
    approach to teaching nonparametric correlation. Comprehensive Psychology 3 (rank-biserial).

    Returns ``None`` when a sample is empty or all answers are equal (nothing to rank).
    """
    x = np.asarray(first, dtype=float)
    y = np.asarray(second, dtype=float)
    x, y = x[~np.isnan(x)], y[~np.isnan(y)]
    n1, n2 = x.size, y.size
    if not n1 or not n2 or np.unique(np.concatenate([x, y])).size < 2:
        return None
    # Mid-ranks of the pooled answers: a value's rank is the mean of the positions it takes.
    _, position, ties = np.unique(np.concatenate([x, y]), return_inverse=True,
                                  return_counts=True)
    ranks = (np.cumsum(ties) - (ties - 1) / 2)[position]
    u_first = float(ranks[:n1].sum() - n1 * (n1 + 1) / 2)
    total = n1 + n2
    # In floats: ties**3 overflows int64 above 2.1 million tied answers.
    tied = ties.astype(float)
    sigma = float(np.sqrt(n1 * n2 / 12 * ((total + 1)
                                          - np.sum(tied**3 - tied) / (total * (total - 1)))))
    deviation = u_first - n1 * n2 / 2
    return RankSumTest(
        n_first=int(n1),
        n_second=int(n2),
        W=u_first,
        U_second=float(n1 * n2 - u_first),
        z_no_correction=deviation / sigma,
        sigma_tie_corrected=sigma,
        p_correct_true=_two_sided((deviation - 0.5 * np.sign(deviation)) / sigma),
        p_correct_false=_two_sided(deviation / sigma),
        rank_biserial=2 * u_first / (n1 * n2) - 1,
    )


def _two_sided(z: float) -> float:
    """``2 min(Phi(z), 1 - Phi(z))``, each tail computed directly (no ``1 - cdf`` cancellation)."""
    return 2 * min(normal_upper_tail(-z), normal_upper_tail(z))
