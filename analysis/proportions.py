"""Shares with Wilson score intervals."""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from statistics import NormalDist

import numpy as np

#: Confidence level of every interval the package reports.
CONFIDENCE = 0.95
SQRT_HALF = math.sqrt(0.5)


@cache
def z_value(confidence: float = CONFIDENCE) -> float:
    """Two-sided normal quantile, R's ``qnorm(1 - (1 - conf) / 2)`` (cached: every interval
    asks for it)."""
    return NormalDist().inv_cdf(1 - (1 - confidence) / 2)


def normal_upper_tail(z: float) -> float:
    """``1 - Phi(z)`` without cancellation, as scipy's ``ndtr(-z)`` computes it: ``erf``
    near 0, ``erfc`` of the absolute value beyond, so a tail of 1e-198 keeps its relative
    accuracy (``math`` rather than ``scipy.special``, whose import cost every fresh
    ``paverkan stats`` about a tenth of a second)."""
    x = -z * SQRT_HALF
    if abs(x) < SQRT_HALF:
        return 0.5 + 0.5 * math.erf(x)
    tail = 0.5 * math.erfc(abs(x))
    return 1 - tail if x > 0 else tail


@dataclass(frozen=True)
class Share:
    """Share of "yes" among the ``n`` respondents who answered, with its Wilson interval.

    ``share`` and the limits are ``None`` when nobody answered.
    """

    n: int
    yes: int
    share: float | None
    wilson_lower: float | None
    wilson_upper: float | None


def wilson_interval(yes: int, n: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """Wilson score interval for a binomial proportion, without continuity correction.

    Written as R's ``prop.test(yes, n, correct = FALSE)$conf.int`` computes it and clipped
    to [0, 1]; the limit at a boundary count (0 or ``n`` yes) is set exactly, because the
    closed form reaches it only up to rounding.

    Parameters
    ----------
    yes, n : int
        Count of "yes" and of answers (``n > 0``).
    confidence : float
        Two-sided confidence level.

    Returns
    -------
    (lower, upper) : tuple of float

    References
    ----------
    Wilson, E. B. (1927). Probable inference, the law of succession, and statistical
    inference. JASA 22, 209-212. Newcombe, R. G. (1998). Two-sided confidence intervals for
    the single proportion. Statistics in Medicine 17, 857-872 (method 3).
    """
    if n <= 0:
        raise ValueError("a Wilson interval needs at least one answer")
    z = z_value(confidence)
    p = yes / n
    z22n = z * z / (2 * n)
    half = z * math.sqrt(p * (1 - p) / n + z22n / (2 * n))
    lower = 0.0 if yes == 0 else max(0.0, (p + z22n - half) / (1 + 2 * z22n))
    upper = 1.0 if yes == n else min(1.0, (p + z22n + half) / (1 + 2 * z22n))
    return lower, upper


def share(values: np.ndarray, confidence: float = CONFIDENCE) -> Share:
    """:class:`Share` of a 0/1 vector; ``NaN`` entries (missing answers) are dropped."""
    answered = np.asarray(values, dtype=float)
    answered = answered[~np.isnan(answered)]
    n = int(answered.size)
    yes = int(answered.sum())
    if n == 0:
        return Share(0, 0, None, None, None)
    lower, upper = wilson_interval(yes, n, confidence)
    return Share(n, yes, yes / n, lower, upper)
