"""The one reader of a round's responses gives analysis what the respondents answered."""

from __future__ import annotations

import math

import pandas as pd

from survey import round_data
from survey.admin.models import StratumCount
from survey.models import Response
from tests.conftest import RoundFactory


def test_a_rounds_responses_and_invited_counts_become_the_tidy_table(db_session):
    round_ = RoundFactory(state="closed", link_salt=None)
    answers = [{"a1": 1, "b1": 2, "b9": 0, "e1": 2, "f1": "en text"}, {"a1": 2, "b1": 0}]
    for municipality, given in zip(("Linköping", "Norrköping"), answers, strict=True):
        db_session.add(Response(round_id=round_.id, fingerprint=round_.fingerprint,
                                municipality=municipality, group="förtroendevald",
                                answers=given))
        db_session.add(StratumCount(round_id=round_.id, municipality=municipality,
                                    group="förtroendevald", unit=None, state="invited",
                                    count=9))
    db_session.flush()

    data = round_data.read(db_session, round_)

    rows = data.responses.sort_values("municipality").to_dict(orient="records")
    assert rows[0]["b1"] == 2 and rows[0]["f1"] == "en text" and rows[0]["e1"] == 2
    assert math.isnan(rows[1]["b9"]) and pd.isna(rows[1]["f1"])
    assert sorted(data.invited.itertuples(index=False)) == [
        ("Linköping", "förtroendevald", 9), ("Norrköping", "förtroendevald", 9)]
    tidy = data.survey_data().responses.sort_values("municipality")
    assert list(tidy["b1_ja"]) == [1, 0]  # "Ja, någon gång" and "Nej" collapsed
    assert list(tidy["gender"])[0] == "man"
    assert "unit" not in data.responses.columns
