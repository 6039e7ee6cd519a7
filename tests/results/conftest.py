"""Rounds with responses for the results tests, written as a close leaves them: responses,
and counts per stratum instead of invitations."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping

import pytest

from survey import synthetic
from survey.admin.models import StratumCount
from survey.instrument import context, questionnaire_of
from survey.models import Response
from tests.admin.conftest import login  # noqa: F401  (the staff login fixture)
from tests.conftest import RoundFactory

#: (municipality, group) -> (invited, responded)
Strata = Mapping[tuple[str, str], tuple[int, int]]

TWO_MUNICIPALITIES: Strata = {
    ("Linköping", "förtroendevald"): (90, 60), ("Linköping", "medarbetare"): (400, 220),
    ("Norrköping", "förtroendevald"): (80, 50), ("Norrköping", "medarbetare"): (380, 200),
}


def add_responses(session, round_, strata: Strata, seed: int = 7,
                  answer: Callable | None = None) -> None:
    """Synthetic responses per stratum (``answer(rng, municipality, group, n)`` may give
    a stratum's answers instead) and, for a closed round, the counts its close keeps."""
    rng = random.Random(seed)
    questionnaire = questionnaire_of(round_)
    for (municipality, group), (invited, responded) in strata.items():
        for number in range(responded):
            answers = (answer(rng, municipality, group, number) if answer else None) or \
                synthetic.answers(questionnaire, rng, context(group),
                                  1.3 if municipality == "Norrköping" else 1.0)
            session.add(Response(round_id=round_.id, fingerprint=round_.fingerprint,
                                 municipality=municipality, group=group, answers=answers))
        for state, count in (("responded", responded), ("invited", invited - responded)):
            session.add(StratumCount(round_id=round_.id, municipality=municipality,
                                     group=group, unit=None, state=state, count=count))
    session.flush()


def statistics_of(session, round_) -> dict:
    """What the pages must show: analysis.report.build on the round's responses, computed
    here without the results package (its cache, gate lookups and formatting)."""
    from analysis import report
    from survey import round_data

    return report.build(round_data.read(session, round_).survey_data(),
                        min_cell=round_.min_cell_size)


@pytest.fixture
def closed_round(db_session):
    """A closed round of the default questionnaire with about 500 responses."""
    round_ = RoundFactory(state="closed", link_salt=None, title="Otillåten påverkan 2025")
    add_responses(db_session, round_, TWO_MUNICIPALITIES)
    return round_


