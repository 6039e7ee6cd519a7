"""Adjusting a family of p-values for multiple comparisons."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from statsmodels.stats.multitest import multipletests


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

    The methods are named explicitly: ``multipletests`` defaults to Holm-Sidak.

    References
    ----------
    Holm, S. (1979). Scand. J. Statist. 6, 65-70. Benjamini, Y. & Hochberg, Y. (1995).
    JRSS B 57, 289-300.
    """
    family = {key: p for key, p in pvalues.items() if p is not None}
    keys = list(family)
    values = list(family.values())

    def adjusted(method: str) -> dict[str, float]:
        if not values:
            return {}
        return dict(zip(keys, (float(p) for p in multipletests(values, method=method)[1]),
                        strict=True))

    return Adjusted(raw=family, holm=adjusted("holm"), BH=adjusted("fdr_bh"),
                    bonferroni=adjusted("bonferroni"))
