"""Responses a questionnaire could have produced: random answers that follow its conditions.

Used by the export tests and ``bench/export.py``; each respondent walks the pages as the form
would show them, so "not asked" and "skipped" come out as they do in a real round.
"""

from __future__ import annotations

import random

import pandas as pd

from questionnaires.model import Questionnaire, QuestionType, group_code

MUNICIPALITIES = ("Linköping", "Norrköping")
GROUPS = ("förtroendevald", "medarbetare")
TEXTS = ("Inget att tillägga.", "Det var obehagligt men jag anmälde det.",
         "=HYPERLINK(\"http://example.test\")", "Jag vill inte skriva mer.")


def answers(questionnaire: Questionnaire, group: str, rng: random.Random) -> dict:
    """One respondent's stored answers (absent = not answered)."""
    given: dict = {}
    scope = {"group": group_code(group)}
    for page in questionnaire.pages:
        if not page.is_shown({**scope, **given}):
            continue
        for question in page.questions:
            for variable in question.variables:
                if not variable.is_asked({**scope, **given}) or rng.random() < 0.05:
                    continue
                if question.type is QuestionType.MULTIPLE:
                    given[variable.name] = int(rng.random() < 0.3)
                elif question.type is QuestionType.TEXT:
                    if rng.random() < 0.3:
                        given[variable.name] = rng.choice(TEXTS)
                elif question.type is QuestionType.NUMBER:
                    given[variable.name] = rng.randint(variable.minimum or 0,
                                                       variable.maximum or 40)
                else:
                    # Mostly the first substantive codes, sometimes a refusal.
                    codes = [o.code for o in variable.options]
                    given[variable.name] = codes[min(int(rng.expovariate(0.9)), len(codes) - 1)]
    return given


def responses(questionnaire: Questionnaire, per_stratum: dict[tuple[str, str], int],
              seed: int = 1, units: dict[tuple[str, str], list[str]] | None = None,
              ) -> pd.DataFrame:
    """A frame of stored answers: municipality, group, unit, one column per variable."""
    rng = random.Random(seed)
    records = []
    for (municipality, group), count in per_stratum.items():
        for _ in range(count):
            record = {"municipality": municipality, "group": group,
                      "unit": rng.choice((units or {}).get((municipality, group), [None]))}
            record.update(answers(questionnaire, group, rng))
            records.append(record)
    columns = ["municipality", "group", "unit", *(v.name for v in questionnaire.variables)]
    frame = pd.DataFrame.from_records(records, columns=columns)
    for variable in questionnaire.variables:
        if frame[variable.name].dtype == object and variable.options:
            frame[variable.name] = frame[variable.name].astype(float)
    return frame


def invited(per_stratum: dict[tuple[str, str], int], extra: int = 20) -> pd.DataFrame:
    return pd.DataFrame([{"municipality": m, "group": g, "invited": n + extra}
                         for (m, g), n in per_stratum.items()])
