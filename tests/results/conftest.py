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


def served_round(tmp_path, file_name: str, email: str, role: str, *,
                 answers_for: Callable | None = None, title: str | None = None, **settings):
    """An app as in production, outside the tests' transaction (its background work runs in
    threads of its own and commits), with a closed round of responses from
    :data:`TWO_MUNICIPALITIES` (``answers_for(round_)``: the ``answer`` of
    :func:`add_responses`, for a round the caller does not have yet) and a staff member
    logged in: (app, their client, the round's id). Dispose of the app's engine at the end."""
    from sqlalchemy.orm import sessionmaker

    from survey import db, migrate
    from survey.auth.operations import add_user
    from tests.admin.conftest import PASSWORD_OF
    from tests.conftest import _current, make_test_app

    app = make_test_app(f"sqlite:///{tmp_path / file_name}", tmp_path / "instance", **settings)
    migrate.upgrade(db.database(app).engine)
    session = sessionmaker(bind=db.database(app).engine)()
    _current.update(app=app, session=session)
    try:
        round_ = RoundFactory(state="closed", link_salt=None,
                              **({"title": title} if title else {}))
        add_responses(session, round_, TWO_MUNICIPALITIES,
                      answer=answers_for(round_) if answers_for else None)
        add_user(session, email, role, PASSWORD_OF)
        session.commit()
        round_id = round_.id
    finally:
        _current.clear()
        session.close()
    client = app.test_client()
    client.submit("/login", {"email": email, "password": PASSWORD_OF})
    return app, client, round_id


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


