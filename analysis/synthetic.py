"""A county round of made-up responses, for the benchmark and the disclosure attacker test.

Thirteen municipalities of Östergötland with realistic relative sizes; in five of them only
two to four elected officials answer (the strata an attacker would go after), and small
gender categories ("annat", "vill ej svara") appear in every municipality. Answers depend on
municipality, group and gender, so the tests and models have something to find.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from analysis import data as tidy_data

#: Municipality -> relative size of its response; the reference municipality first.
COUNTY = {
    "Linköping": 0.30, "Norrköping": 0.27, "Motala": 0.085, "Mjölby": 0.055,
    "Finspång": 0.045, "Valdemarsvik": 0.02, "Söderköping": 0.03, "Ödeshög": 0.015,
    "Boxholm": 0.012, "Kinda": 0.022, "Vadstena": 0.016, "Ydre": 0.008, "Åtvidaberg": 0.025,
}
#: Elected officials answering in the small municipalities, whatever the round's size.
SMALL_ELECTED = {"Boxholm": 2, "Kinda": 3, "Vadstena": 4, "Ydre": 2, "Åtvidaberg": 3}
GENDERS = {"kvinna": 0.5, "man": 0.46, "annat": 0.02, "vill ej svara": 0.02}
AGE_BANDS = ("18-29", "30-44", "45-59", "60+")
ITEMS = ("q_threat", "q_harass", "q_violence", "q_bribe", "q_film", "q_extortion",
         "q_relatives", "q_changed_decision")
PREVALENCE = (0.25, 0.35, 0.05, 0.06, 0.12, 0.04, 0.07, 0.10)
ELECTED_SHARE = 0.15


def county_round(responses: int, seed: int = 2026, items: int = len(ITEMS),
                 municipalities: int = len(COUNTY)) -> tidy_data.SurveyData:
    """About ``responses`` responses from the thirteen municipalities (the small
    municipalities' elected officials exactly as :data:`SMALL_ELECTED`), half the invited
    answering, 3 % of each item's answers missing; the first ``items`` of :data:`ITEMS`
    and the ordinal ``q_worry``; the first ``municipalities`` of :data:`COUNTY` (two:
    Linköping and Norrköping, the round the county joins)."""
    rng = np.random.default_rng(seed)
    names = list(COUNTY)[:municipalities]
    shares = np.array([COUNTY[m] for m in names])
    sizes = np.maximum(10, np.round(responses * shares / shares.sum())).astype(int)
    frames = []
    for (municipality, size), effect in zip(zip(names, sizes, strict=True),
                                            rng.normal(0, 0.3, len(names)), strict=True):
        elected = SMALL_ELECTED.get(municipality, max(5, round(size * ELECTED_SHARE)))
        for group, count in (("förtroendevald", elected), ("medarbetare", size - elected)):
            frames.append(_stratum(rng, municipality, group, count, effect))
    frame = pd.concat(frames, ignore_index=True).drop(columns=list(ITEMS[items:]))
    invited = frame.groupby(["municipality", "group"]).size().mul(2).rename("invited")
    return tidy_data.from_frame(frame, invited.reset_index())


def _stratum(rng: np.random.Generator, municipality: str, group: str, count: int,
             effect: float) -> pd.DataFrame:
    gender = rng.choice(list(GENDERS), count, p=list(GENDERS.values()))
    logit_shift = effect + (0.6 if group == "förtroendevald" else 0.0) + np.where(
        gender == "kvinna", 0.3, 0.0)
    columns = {"municipality": municipality, "group": group, "gender": gender,
               "age_band": rng.choice(AGE_BANDS, count)}
    for item, prevalence in zip(ITEMS, PREVALENCE, strict=True):
        logit = np.log(prevalence / (1 - prevalence)) + logit_shift
        answers = (rng.random(count) < 1 / (1 + np.exp(-logit))).astype(float)
        answers[rng.random(count) < 0.03] = np.nan
        columns[item] = answers
    columns["q_worry"] = rng.choice([0.0, 1.0, 2.0, 3.0], count, p=[0.4, 0.3, 0.2, 0.1])
    return pd.DataFrame(columns)
