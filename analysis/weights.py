"""Response rates, post-stratification weights and weighted shares with design-based SEs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from analysis.data import GROUP, MUNICIPALITY, SurveyData
from analysis.proportions import CONFIDENCE, z_value

#: The design whose standard error the published weighted shares use. Respondents are
#: treated as a random subsample of the invited within each municipality x group stratum
#: (response homogeneity groups), without a finite-population correction: the chiefs
#: compare the processes behind the figures (next year's officials, the other
#: municipality), not only this year's head count, so the conservative SE is published.
DEFAULT_DESIGN = "stratified"


@dataclass(frozen=True)
class StratumRate:
    """Completes / invited of one stratum and its weight ``invited / responded``."""

    municipality: str
    group: str
    invited: int
    responded: int
    response_rate: float
    ps_weight: float | None


@dataclass(frozen=True)
class Rate:
    """Completes / invited summed over strata (``label`` names the municipality or total)."""

    label: str
    invited: int
    responded: int
    response_rate: float


@dataclass(frozen=True)
class ResponseRates:
    """AAPOR RR-style response rates: every submitted response counts as complete."""

    by_stratum: tuple[StratumRate, ...]
    by_municipality: tuple[Rate, ...]
    total: Rate


@dataclass(frozen=True)
class WeightedEstimate:
    """A weighted share with its standard error and Wald interval ``share +/- z SE``."""

    share: float
    se: float
    wald_lower: float
    wald_upper: float


@dataclass(frozen=True)
class WeightedShare:
    """Weighted share of one item in a domain (a municipality or the total).

    ``share_formula`` = sum(w y) / sum(w) over the item's respondents (what the designs
    estimate: missing answers are re-weighted within the domain); ``share_stratum_combined``
    = sum(N_h p_h) / sum(N_h), the alternative that combines stratum shares with invited
    counts (they differ when missingness differs between strata). The three designs share
    the point estimate and differ in the SE; ``default`` names the published one.
    """

    label: str
    share_formula: float | None
    share_stratum_combined: float | None
    poststratified: WeightedEstimate | None
    stratified: WeightedEstimate | None
    stratified_fpc: WeightedEstimate | None
    default: str = DEFAULT_DESIGN


def response_rates(data: SurveyData) -> ResponseRates:
    """Response rates per stratum, municipality and in total, with post-stratification weights.

    Strata follow ``data.levels``; a stratum without responses has no weight (``None``).

    Completes over invited is AAPOR's RR1 with every invitee eligible (the recipient lists
    are the frame) and every submitted response complete.

    References
    ----------
    AAPOR (2023). Standard Definitions: Final Dispositions of Case Codes and Outcome Rates
    for Surveys, 10th ed.
    """
    counts = data.responses.groupby([MUNICIPALITY, GROUP]).size()
    invited_counts = data.invited.groupby([MUNICIPALITY, GROUP])["invited"].sum()
    strata = []
    for municipality in data.levels[MUNICIPALITY]:
        for group in data.levels[GROUP]:
            invited = int(invited_counts.get((municipality, group), 0))
            responded = int(counts.get((municipality, group), 0))
            if invited == 0 and responded == 0:
                continue
            strata.append(StratumRate(municipality, group, invited, responded,
                                      responded / invited,
                                      invited / responded if responded else None))
    by_municipality = tuple(
        _sum(m, [s for s in strata if s.municipality == m]) for m in data.levels[MUNICIPALITY])
    return ResponseRates(tuple(strata), by_municipality, _sum("total", strata))


def weighted_shares(data: SurveyData, item: str, domains: Mapping[str, Sequence[str]],
                    confidence: float = CONFIDENCE,
                    rates: ResponseRates | None = None) -> tuple[WeightedShare, ...]:
    """Post-stratified shares of ``item`` in each domain (label -> municipalities).

    Weights are ``w = invited / responded`` of the respondent's stratum. The SE is the
    linearisation (Taylor) variance of the ratio estimator sum(w y) / sum(w) for a domain:
    every response contributes ``x_i = w_i (y_i - share) / sum(w)`` inside the domain among
    the item's respondents and 0 elsewhere, centred within each stratum, and

    * ``poststratified``: simple random sample post-stratified to the invited counts,
      ``n / (n - 1) * sum((x_i - mean_h(x))^2)`` (R survey's ``postStratify``);
    * ``stratified``: ``sum_h n_h / (n_h - 1) * sum_i in h (x_i - mean_h(x))^2``;
    * ``stratified_fpc``: as stratified times ``1 - n_h / N_h`` (finite population).

    ``n``, ``n_h`` count all responses, as in R's ``svymean(na.rm = TRUE)`` on a domain.

    Parameters
    ----------
    data : SurveyData
        Responses and invited counts of one round.
    item : str
        A binary item.
    domains : mapping of str to sequence of str
        Label -> the municipalities it covers (e.g. ``{"total": [...all...]}``).
    confidence : float
        Level of the Wald intervals.
    rates : ResponseRates, optional
        ``response_rates(data)``, when the caller has it already (one per round).

    Returns
    -------
    tuple of WeightedShare
        One per domain, in the order given.

    References
    ----------
    Lumley, T. (2010). Complex Surveys: A Guide to Analysis Using R, ch. 2 and 7.
    Särndal, C.-E., Swensson, B. & Wretman, J. (1992). Model Assisted Survey Sampling,
    sections 5.9 and 7.6.
    """
    frame = data.responses
    strata = (rates or response_rates(data)).by_stratum
    municipality_levels = pd.Index(list(data.levels[MUNICIPALITY]))
    municipalities_of_rows = municipality_levels.get_indexer(frame[MUNICIPALITY])
    rows = _StratumRows(frame, strata, data.levels, municipalities_of_rows)
    weight = np.array([s.ps_weight or 0.0 for s in strata] + [0.0])[rows.stratum]
    values = frame[item].to_numpy(dtype=float)
    answered = ~np.isnan(values) & (values >= 0)
    sorted_values, sorted_answered = values[rows.order], answered[rows.order]
    z = z_value(confidence)
    results = []
    for label, municipalities in domains.items():
        inside = [h for h, s in enumerate(strata) if s.municipality in municipalities]
        combined = _stratum_combined(strata, sorted_values, sorted_answered, rows, inside)
        codes = municipality_levels.get_indexer(list(municipalities))
        used = np.isin(municipalities_of_rows, codes[codes >= 0]) & answered
        if not used.any():
            results.append(WeightedShare(label, None, combined, None, None, None))
            continue
        total_weight = weight[used].sum()
        estimate = float(np.sum(weight[used] * values[used]) / total_weight)
        x = np.where(used, weight * (np.where(used, values, 0) - estimate) / total_weight, 0)
        # A stratum nobody answered in (invited, no responses) adds nothing to the variance.
        sorted_x = x[rows.order]
        squares = np.array([np.sum((sorted_x[part] - sorted_x[part].mean()) ** 2)
                            if part.stop > part.start else 0.0 for part in rows.parts])
        n_h = np.array([part.stop - part.start for part in rows.parts])
        invited_h = np.array([s.invited for s in strata])
        n = n_h.sum()
        scale = np.where(n_h > 1, n_h / np.maximum(n_h - 1, 1), 1.0)
        variances = {
            "poststratified": n / (n - 1) * squares.sum(),
            "stratified": np.sum(scale * squares),
            "stratified_fpc": np.sum(scale * (1 - n_h / invited_h) * squares),
        }
        estimates = {}
        for design, variance in variances.items():
            se = float(np.sqrt(variance))
            estimates[design] = WeightedEstimate(estimate, se, estimate - z * se,
                                                 estimate + z * se)
        results.append(WeightedShare(label, estimate, combined, **estimates))
    return tuple(results)


class _StratumRows:
    """Each response's stratum (its position in ``strata``; ``len(strata)`` for none) and
    the responses sorted by stratum, stably: a stratum's responses are one slice of the
    sorted rows (``parts``), in their original order, so its sums add the same numbers in
    the same order as a mask over every row would (26 masks over 100,000 rows per domain
    took most of a county's weighted shares)."""

    def __init__(self, frame: pd.DataFrame, strata: Sequence[StratumRate],
                 levels: Mapping[str, Sequence[str]], municipality_codes: np.ndarray) -> None:
        groups = list(levels[GROUP])
        group_codes = pd.Index(groups).get_indexer(frame[GROUP])
        position = np.full((len(levels[MUNICIPALITY]) + 1, len(groups) + 1), len(strata))
        municipality_index = {m: i for i, m in enumerate(levels[MUNICIPALITY])}
        for h, s in enumerate(strata):
            position[municipality_index[s.municipality], groups.index(s.group)] = h
        # Code -1 (not a listed level) reads the last row or column: no stratum.
        self.stratum = position[municipality_codes, group_codes]
        self.order = np.argsort(self.stratum, kind="stable")
        bounds = np.searchsorted(self.stratum[self.order], np.arange(len(strata) + 1))
        self.parts = [slice(int(bounds[h]), int(bounds[h + 1])) for h in range(len(strata))]


def _stratum_combined(strata: Sequence[StratumRate], values: np.ndarray,
                      answered: np.ndarray, rows: _StratumRows,
                      inside: Sequence[int]) -> float | None:
    """``values`` and ``answered`` sorted by stratum (``rows.order``)."""
    numerator = denominator = 0.0
    for h in inside:
        part = rows.parts[h]
        if not answered[part].any():
            return None
        numerator += strata[h].invited * values[part][answered[part]].mean()
        denominator += strata[h].invited
    return numerator / denominator if denominator else None


def _sum(label: str, strata: Sequence[StratumRate]) -> Rate:
    invited = sum(s.invited for s in strata)
    responded = sum(s.responded for s in strata)
    return Rate(label, invited, responded, responded / invited if invited else float("nan"))
