"""Differences in a binary item: two groups crude (2x2) and stratified (CMH), and the overall
Pearson test across any number of groups. Fisher's exact test and the conditional odds ratio
are in :mod:`analysis.exact`, the chi-square tail in :mod:`analysis.distributions`."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from analysis.distributions import chi_square_upper_tail
from analysis.exact import conditional_odds_ratio, fisher_exact_p
from analysis.proportions import CONFIDENCE, wilson_interval, z_value


@dataclass(frozen=True)
class TwoByTwo:
    """Rows (first, second group) by columns (yes, no); odds ratios are first / second."""

    yes_first: int
    no_first: int
    yes_second: int
    no_second: int

    @classmethod
    def from_values(cls, first: np.ndarray, second: np.ndarray) -> TwoByTwo:
        """Cross-tabulate two 0/1 vectors, dropping missing (``NaN``) answers."""
        a, b = yes_no(first)
        c, d = yes_no(second)
        return cls(a, b, c, d)

    @property
    def array(self) -> np.ndarray:
        return np.array([[self.yes_first, self.no_first], [self.yes_second, self.no_second]])


@dataclass(frozen=True)
class Difference:
    """Comparison of two shares, first minus second.

    ``newcombe_*`` is the hybrid-score interval for the difference; ``fisher_p`` the
    two-sided exact p; ``fisher_or_*`` the conditional maximum-likelihood odds ratio with its
    exact interval (what R's ``fisher.test`` reports, not the sample odds ratio);
    ``chisq_*`` Pearson's test without continuity correction, ``chisq_yates_p`` the
    Yates-corrected p for contrast only. Undefined figures are ``None``;
    ``odds_ratio_undefined`` says why the odds ratios are (:data:`NO_EVENTS`,
    :data:`NO_NON_EVENTS`), ``None`` when they are defined (possibly 0 or infinite, also
    written ``None``).
    """

    table: TwoByTwo
    share_first: float | None
    share_second: float | None
    difference: float | None
    newcombe_lower: float | None
    newcombe_upper: float | None
    fisher_p: float | None
    fisher_or_conditional_mle: float | None
    fisher_or_lower: float | None
    fisher_or_upper: float | None
    sample_or: float | None
    chisq_statistic: float | None
    chisq_df: int
    chisq_p: float | None
    chisq_min_expected: float | None
    chisq_yates_p: float | None
    odds_ratio_undefined: str | None = None


#: Why a table's odds ratios are undefined (``Difference.odds_ratio_undefined``): nobody
#: answered yes, or nobody answered no, in either group, so both odds are 0 (or infinite)
#: and their ratio 0/0. R's ``fisher.test`` prints 0 there; scipy's conditional ``odds_ratio``
#: gives NaN, as we do.
NO_EVENTS = "no_events"
NO_NON_EVENTS = "no_non_events"


def compare_shares(table: TwoByTwo, confidence: float = CONFIDENCE) -> Difference:
    """Difference in shares with Newcombe's interval, Fisher's exact and Pearson's test.

    Methods and conventions:

    * Newcombe (1998) method 10 (hybrid score): Wilson limits ``l, u`` of each share without
      continuity correction, ``d - sqrt((p1-l1)^2 + (u2-p2)^2)``,
      ``d + sqrt((u1-p1)^2 + (p2-l2)^2)``.
    * Fisher's exact test, two-sided by summing tables no more probable than the observed
      (R's ``fisher.test``); odds ratio is the conditional MLE with the exact
      (Cornfield) interval, computed as R's ``fisher.test`` does
      (:func:`conditional_odds_ratio`); ``scipy.stats.fisher_exact().statistic`` would be
      the sample odds ratio instead.
    * Pearson's chi-square without continuity correction (R's ``chisq.test(correct =
      FALSE)``; scipy's ``chi2_contingency`` default applies Yates on 2x2), and Yates'
      ``sum((|O - E| - min(0.5, |O - E|))^2 / E)`` for contrast; upper tails by
      :func:`chi_square_upper_tail`.

    Parameters
    ----------
    table : TwoByTwo
        Yes/no counts of the first and second group (missing answers already dropped).
    confidence : float
        Level of the Newcombe and the exact odds-ratio intervals.

    Returns
    -------
    Difference
        Undefined figures (a group without answers, a zero expected count) are ``None``.

    References
    ----------
    Newcombe, R. G. (1998). Interval estimation for the difference between independent
    proportions: comparison of eleven methods. Statistics in Medicine 17, 873-890.
    Agresti, A. (2013). Categorical Data Analysis, 3rd ed., sections 3.5 and 16.6.
    """
    a, b, c, d = table.yes_first, table.no_first, table.yes_second, table.no_second
    n1, n2 = a + b, c + d
    p1 = a / n1 if n1 else None
    p2 = c / n2 if n2 else None
    tab = table.array
    if not n1 or not n2:
        # One side has no answers: a share exists at most for the other, nothing compares.
        return Difference(table, p1, p2, None, None, None, None, None, None, None, None,
                          None, 1, None, None, None)
    diff = p1 - p2
    l1, u1 = wilson_interval(a, n1, confidence)
    l2, u2 = wilson_interval(c, n2, confidence)
    lower = diff - math.hypot(p1 - l1, u2 - p2)
    upper = diff + math.hypot(u1 - p1, p2 - l2)
    estimate, or_low, or_high = conditional_odds_ratio(table, confidence)
    expected = np.outer(tab.sum(axis=1), tab.sum(axis=0)) / tab.sum()
    pearson = yates = None
    if expected.min() > 0:
        pearson = _pearson(tab)
        yates = _pearson(tab, yates=True)
    return Difference(
        table=table,
        share_first=p1,
        share_second=p2,
        difference=diff,
        newcombe_lower=lower,
        newcombe_upper=upper,
        fisher_p=fisher_exact_p(table),
        fisher_or_conditional_mle=_finite(estimate),
        fisher_or_lower=_finite(or_low),
        fisher_or_upper=_finite(or_high),
        sample_or=(a * d) / (b * c) if b * c > 0 and a + c else None,
        chisq_statistic=pearson[0] if pearson else None,
        chisq_df=1,
        chisq_p=pearson[1] if pearson else None,
        chisq_min_expected=float(expected.min()),
        chisq_yates_p=yates[1] if yates else None,
        odds_ratio_undefined=NO_EVENTS if a + c == 0 else NO_NON_EVENTS if b + d == 0 else None,
    )


def _pearson(observed: np.ndarray, yates: bool = False) -> tuple[float, float]:
    """Pearson's ``sum((O - E)^2 / E)`` on an r x c table with positive expected counts,
    optionally with Yates' correction; returns (statistic, upper-tail p on (r-1)(c-1) df)."""
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    deviation = np.abs(observed - expected)
    if yates:
        deviation = deviation - np.minimum(0.5, deviation)
    statistic = float(np.sum(deviation**2 / expected))
    df = (observed.shape[0] - 1) * (observed.shape[1] - 1)
    return statistic, chi_square_upper_tail(df, statistic)


@dataclass(frozen=True)
class Homogeneity:
    """Pearson's chi-square test that the share is the same in every group (a k x 2 table).

    ``table`` lists ``(label, yes, no)`` of the groups tested: those with at least one
    answer. The figures are ``None`` when fewer than two groups have answers or an expected
    count is 0 (everybody answered alike).
    """

    table: tuple[tuple[str, int, int], ...]
    chisq_statistic: float | None
    chisq_df: int | None
    chisq_p: float | None
    chisq_min_expected: float | None


def homogeneity(counts: Mapping[str, tuple[int, int]]) -> Homogeneity:
    """Pearson's chi-square across ``k`` groups, ``sum((O - E)^2 / E)`` on the k x 2 table of
    yes/no counts with ``k - 1`` degrees of freedom, no continuity correction (as R's
    ``chisq.test(tab, correct = FALSE)``; for two groups it equals the 2x2 test of
    :func:`compare_shares`).

    Parameters
    ----------
    counts : mapping of str to (int, int)
        Group label -> (yes, no), missing answers already dropped.

    Returns
    -------
    Homogeneity

    References
    ----------
    Agresti (2013), section 3.2.
    """
    rows = tuple((label, int(yes), int(no)) for label, (yes, no) in counts.items() if yes + no)
    if len(rows) < 2:
        return Homogeneity(rows, None, None, None, None)
    observed = np.array([[yes, no] for _, yes, no in rows], dtype=float)
    expected = np.outer(observed.sum(axis=1), observed.sum(axis=0)) / observed.sum()
    if expected.min() == 0:
        return Homogeneity(rows, None, len(rows) - 1, None, 0.0)
    statistic, p = _pearson(observed)
    return Homogeneity(rows, statistic, len(rows) - 1, p, float(expected.min()))


@dataclass(frozen=True)
class MantelHaenszel:
    """Cochran-Mantel-Haenszel test of first vs second, stratified (e.g. by group).

    ``p_value`` has no continuity correction; ``p_value_continuity_corrected`` applies R's
    rule (subtract 0.5 only when ``|sum(O - E)| >= 0.5``). ``common_or_mh`` is the
    Mantel-Haenszel odds ratio with the Robins-Breslow-Greenland interval.
    """

    statistic: float | None
    df: int
    p_value: float | None
    common_or_mh: float | None
    or_lower: float | None
    or_upper: float | None
    p_value_continuity_corrected: float | None
    strata_tables: tuple[tuple[str, TwoByTwo], ...]


def mantel_haenszel(tables: Mapping[str, TwoByTwo],
                    confidence: float = CONFIDENCE) -> MantelHaenszel:
    """CMH test over 2x2 tables, one per stratum, as R's ``mantelhaen.test`` on a 2x2xK table.

    Strata with fewer than two answers carry no information and are left out (R refuses
    them). The upper tail is taken with :func:`chi_square_upper_tail`: statsmodels'
    ``test_null_odds`` returns ``1 - cdf``, which is 0 below ~1e-16, and always subtracts
    the 0.5 correction.

    Parameters
    ----------
    tables : mapping of str to TwoByTwo
        One table per stratum (e.g. per group), first vs second group in each.
    confidence : float
        Level of the Robins-Breslow-Greenland interval.

    Returns
    -------
    MantelHaenszel
        Test figures are ``None`` when no stratum has variation to test.

    References
    ----------
    Mantel, N. & Haenszel, W. (1959). JNCI 22, 719-748. Robins, J., Breslow, N. &
    Greenland, S. (1986). Biometrics 42, 311-323. Agresti (2013), section 6.4.
    """
    # Floats before multiplying: row1 * row2 * col1 * col2 overflows int64 in a stratum
    # above ~110,000 answers and silently gave a wrong statistic.
    usable = [t.array.astype(float) for t in tables.values() if t.array.sum() >= 2]
    observed = expected = variance = 0.0
    for tab in usable:
        n = tab.sum()
        row1, row2 = tab.sum(axis=1)
        col1, col2 = tab.sum(axis=0)
        observed += tab[0, 0]
        expected += row1 * col1 / n
        variance += row1 * row2 * col1 * col2 / (n * n * (n - 1))
    if variance == 0:
        # No stratum has both answers in both groups: there is nothing to test.
        return MantelHaenszel(None, 1, None, None, None, None, None, tuple(tables.items()))
    delta = observed - expected
    statistic = delta * delta / variance
    correction = 0.5 if abs(delta) >= 0.5 else 0.0
    corrected = (abs(delta) - correction) ** 2 / variance
    common, or_low, or_high = _mantel_haenszel_odds_ratio(usable, confidence)
    return MantelHaenszel(
        statistic=float(statistic),
        df=1,
        p_value=chi_square_upper_tail(1, statistic),
        common_or_mh=_finite(common),
        or_lower=or_low,
        or_upper=or_high,
        p_value_continuity_corrected=chi_square_upper_tail(1, corrected),
        strata_tables=tuple(tables.items()),
    )


def _mantel_haenszel_odds_ratio(tables: list[np.ndarray], confidence: float,
                                ) -> tuple[float, float | None, float | None]:
    """Mantel-Haenszel common odds ratio ``sum(R) / sum(S)``, ``R = a d / n``, ``S = b c / n``,
    with the Robins-Breslow-Greenland variance of its logarithm,

    ``sum(P R) / (2 sum(R)^2) + sum(P S + Q R) / (2 sum(R) sum(S)) + sum(Q S) / (2 sum(S)^2)``

    where ``P = (a + d) / n`` and ``Q = (b + c) / n``; the interval is
    ``exp(log OR +/- z sqrt(var))``. An odds ratio of 0 or infinity has no interval."""
    a, b, c, d = (np.array([t[i, j] for t in tables], dtype=float)
                  for i, j in ((0, 0), (0, 1), (1, 0), (1, 1)))
    n = a + b + c + d
    r, s = a * d / n, b * c / n
    p, q = (a + d) / n, (b + c) / n
    sum_r, sum_s = r.sum(), s.sum()
    if sum_r == 0 or sum_s == 0:
        return (0.0 if sum_r == 0 else math.inf), None, None
    common = sum_r / sum_s
    variance = (np.sum(p * r) / (2 * sum_r**2) + np.sum(p * s + q * r) / (2 * sum_r * sum_s)
                + np.sum(q * s) / (2 * sum_s**2))
    half = z_value(confidence) * math.sqrt(variance)
    return common, common * math.exp(-half), common * math.exp(half)


def yes_no(values: np.ndarray) -> tuple[int, int]:
    """Yes and no counts of 0/1 answers, missing (NaN) left out."""
    answered = np.asarray(values, dtype=float)
    answered = answered[~np.isnan(answered)]
    yes = int(answered.sum())
    return yes, int(answered.size) - yes


def _finite(value: float) -> float | None:
    """Non-finite estimates (an odds ratio of 0 or infinity) become ``None``, as in JSON."""
    value = float(value)
    return value if math.isfinite(value) else None
