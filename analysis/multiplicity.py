"""Adjusting a family of p-values for multiple comparisons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Adjusted:
    """Raw and adjusted p-values of one family, keyed like the input (e.g. by item).

    ``holm`` controls the family-wise error rate (Holm's step-down), ``BH`` the false
    discovery rate (Benjamini-Hochberg step-up), ``bonferroni`` is the simple bound, for
    contrast. Items whose p-value is undefined are left out of the family.
    """

    raw: Mapping[str, float]
    holm: Mapping[str, float]
    BH: Mapping[str, float]
    bonferroni: Mapping[str, float]


def adjust(pvalues: Mapping[str, float | None]) -> Adjusted:
    """Holm, Benjamini-Hochberg and Bonferroni adjustment, as R's ``p.adjust``.

    Holm: sorted ascending, ``p_(i) * (m - i + 1)`` made non-decreasing and capped at 1.
    Named explicitly because statsmodels' ``multipletests`` defaults to Holm-Sidak.
    Benjamini-Hochberg: ``p_(i) * m / i`` made non-increasing from the largest down,
    capped at 1.

    Parameters
    ----------
    pvalues : mapping of str to float or None
        The family, e.g. one p-value per item; ``None`` (not testable) is left out.

    Returns
    -------
    Adjusted

    References
    ----------
    Holm, S. (1979). Scand. J. Statist. 6, 65-70. Benjamini, Y. & Hochberg, Y. (1995).
    JRSS B 57, 289-300.
    """
    family = {key: float(p) for key, p in pvalues.items() if p is not None}
    keys = list(family)
    p = np.array(list(family.values()), dtype=float)
    m = p.size
    holm = np.empty(m)
    order = np.argsort(p, kind="stable")
    holm[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    bh = np.empty(m)
    descending = order[::-1]
    bh[descending] = np.minimum(1.0, np.minimum.accumulate(m / (m - np.arange(m)) * p[descending]))
    bonferroni = np.minimum(1.0, m * p)

    def keyed(values: np.ndarray) -> dict[str, float]:
        return dict(zip(keys, (float(v) for v in values), strict=True))

    return Adjusted(raw=family, holm=keyed(holm), BH=keyed(bh), bonferroni=keyed(bonferroni))
