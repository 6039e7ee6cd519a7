"""A large round's first results page does not hold the request: it says the figures are
being computed, and they are there on the next visit."""

from __future__ import annotations

import time

from sqlalchemy.orm import sessionmaker

from survey import db, migrate
from survey.auth.operations import add_user
from tests.admin.conftest import PASSWORD_OF
from tests.conftest import RoundFactory, _current, make_test_app
from tests.results.conftest import TWO_MUNICIPALITIES, add_responses


def test_the_first_view_of_a_large_round_computes_in_the_background(tmp_path):
    url = f"sqlite:///{tmp_path / 'results.sqlite3'}"
    app = make_test_app(url, tmp_path / "instance", RESULTS_BACKGROUND_FROM=100)
    migrate.upgrade(db.database(app).engine)
    session = sessionmaker(bind=db.database(app).engine)()
    _current.update(app=app, session=session)
    try:
        round_ = RoundFactory(state="closed", link_salt=None)
        add_responses(session, round_, TWO_MUNICIPALITIES)
        add_user(session, "chef@kommun.example.se", "chief", PASSWORD_OF)
        session.commit()
        round_id = round_.id
    finally:
        _current.clear()
        session.close()
    client = app.test_client()
    client.submit("/login", {"email": "chef@kommun.example.se", "password": PASSWORD_OF})
    first = client.get(f"/resultat/?round={round_id}&lang=en")
    assert first.status_code == 200 and "Results are being computed" in first.text
    for _ in range(300):
        folder = tmp_path / "instance" / "results"
        if list(folder.glob("*.json")) and not list(folder.glob("*.lock")):
            break
        time.sleep(1)
    later = client.get(f"/resultat/?round={round_id}&lang=en")
    assert "Headline indicators" in later.text
    db.database(app).engine.dispose()
