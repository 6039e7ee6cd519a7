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
    contrast. Items whose p-value is ``None`` are left out; a NaN p-value stays NaN in
    every adjustment and is not counted in the family's size (R's ``p.adjust``).
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
        The family, e.g. one p-value per item; ``None`` (not testable) is left out, NaN
        (undefined) is kept as NaN and not counted in ``m``, as R's ``p.adjust`` does.

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
    everything = np.array(list(family.values()), dtype=float)
    defined = ~np.isnan(everything)
    p = everything[defined]
    m = p.size
    order = np.argsort(p, kind="stable")
    descending = order[::-1]
    holm = np.empty(m)
    holm[order] = np.minimum(1.0, np.maximum.accumulate((m - np.arange(m)) * p[order]))
    bh = np.empty(m)
    bh[descending] = np.minimum(1.0, np.minimum.accumulate(m / (m - np.arange(m)) * p[descending]))
    bonferroni = np.minimum(1.0, m * p)

    def keyed(values: np.ndarray) -> dict[str, float]:
        full = np.full(everything.size, np.nan)
        full[defined] = values
        return dict(zip(keys, (float(v) for v in full), strict=True))

    return Adjusted(raw=family, holm=keyed(holm), BH=keyed(bh), bonferroni=keyed(bonferroni))
