"""The demo's previous-year round goes through a real round's operations and shows a
small stratum withheld."""

from __future__ import annotations

import datetime as dt

from survey import demo_history
from survey.results.figures import figures_of

SMALL = {
    ("Linköping", "förtroendevald"): (30, 20, 1.0),
    ("Linköping", "medarbetare"): (40, 25, 1.0),
    ("Norrköping", "förtroendevald"): (10, 3, 1.0),
    ("Norrköping", "medarbetare"): (40, 30, 1.2),
}


def test_the_previous_round_is_answered_through_links_closed_and_withholds_its_small_stratum(
        app, db_session):
    with app.app_context():
        round_ = demo_history.seed_closed_round(db_session, dt.date.today(), strata=SMALL)
        figures = figures_of(db_session, round_)
    assert round_.state == "closed" and round_.link_salt is None
    assert round_.opens_on.year == dt.date.today().year - 1
    assert figures.report["meta"]["n_rows"] == 78
    small = next(s for s in figures.report["response_rates"]["by_stratum"]
                 if s["municipality"] == "Norrköping" and s["group"] == "förtroendevald")
    assert small["withheld"] == "primary" and small["responded"] is None
    cell = next(c for c in figures.report["items"]["exposed_any"]["cells"]
                if c["municipality"] == "Norrköping" and c["group"] == "förtroendevald")
    assert cell["withheld"] == "primary"


def test_the_demo_prints_a_chiefs_and_a_researchers_login(tmp_path):
    from survey import db
    from survey.auth.operations import authenticate
    from survey.demo import READERS, build, reader_password

    app, password, _link = build(tmp_path / "demo")
    with app.app_context():
        for role, email in READERS:
            user = authenticate(db.session(), email, reader_password(password, role),
                                "127.0.0.1")
            assert user.role == role
    db.database(app).engine.dispose()
