"""Synthetic answers for the demo, the tests and the benchmarks: plausible, never real.

Walks the questionnaire as a respondent would (a page or question the conditions hide gets
no answer) and answers each frequency item "yes" with the probability given for it, so the
figures land near the national ones (``../shared/INSTRUMENT.md``: about a quarter to a third
exposed in a year, a few per cent offered bribes).
"""

from __future__ import annotations

import random
from collections.abc import Mapping

from questionnaires.model import Questionnaire, VariableKind

#: Chance of a "yes" answer per variable; other frequency items use ``DEFAULT_YES``.
#: Ten exposure items at 3.5 % each give about 30 % exposed to at least one.
YES_CHANCES: Mapping[str, float] = {
    **{f"b{n}": 0.035 for n in range(1, 11)}, "b11": 0.03,
    "d1": 0.08, "d2": 0.17, "d3": 0.06, "d4": 0.05, "d5": 0.10, "d6": 0.08,
    "d8": 0.60, "d9": 0.70,
}
DEFAULT_YES = 0.1
#: Gender (E1) in option order: kvinna, man, annat, vill inte svara.
GENDER_WEIGHTS = (0.52, 0.46, 0.005, 0.015)


def answers(questionnaire: Questionnaire, rng: random.Random, context: Mapping[str, int],
            scale: float = 1.0) -> dict[str, int]:
    """One respondent's stored answers; ``scale`` multiplies every yes-chance (a more or a
    less exposed municipality or group). Free text is left empty."""
    given: dict[str, int] = {}
    for page in questionnaire.pages:
        if not page.is_shown({**context, **given}):
            continue
        for question in page.questions:
            for variable in question.variables:
                if not variable.is_asked({**context, **given}):
                    continue
                value = _answer(variable, rng, scale)
                if value is not None:
                    given[variable.name] = value
    return given


def _answer(variable, rng: random.Random, scale: float) -> int | None:
    substantive = [o.code for o in variable.options if o.substantive]
    if variable.kind is VariableKind.TEXT:
        return None
    if rng.random() < 0.02:  # a skipped question now and then
        return None
    if variable.kind is VariableKind.INTEGER:
        low = variable.minimum or 0
        return rng.randint(low, min(variable.maximum or low + 40, low + 40))
    if variable.kind is VariableKind.BINARY:
        return int(rng.random() < 0.3)
    if variable.name == "e1" and len(substantive) == 3 and len(variable.options) == 4:
        return rng.choices([o.code for o in variable.options], GENDER_WEIGHTS)[0]
    if variable.yes_codes:
        chance = min(1.0, YES_CHANCES.get(variable.name, DEFAULT_YES) * scale)
        if rng.random() < chance:
            return rng.choice(variable.yes_codes)
        others = [c for c in substantive if c not in variable.yes_codes]
        return others[0] if rng.random() < 0.8 else rng.choice(others)
    return rng.choice(substantive) if substantive else None
