"""The attacker reads the logs (docs/anonymity.md, *Logs*).

An operator who turns everything up — every logger at DEBUG, SQLAlchemy's SQL echo on — and
serves the app with gunicorn at ``--log-level debug`` must still find no link token, token
hash, pool marker, invitation id or address in what a respondent's visit writes.
"""

from __future__ import annotations

import logging

from sqlalchemy import select

from survey import db, migrate, tokens
from survey.models import Invitation
from survey.respondent import operations
from tests.conftest import make_test_app
from tests.survey.fielding import open_round_with_list
from tests.survey.test_respondent import answer_pages, start


def test_a_visit_at_debug_with_sql_echo_logs_no_token_hash_marker_or_address(tmp_path, caplog):
    """On an app of its own, so that every connection is opened with the echo on."""
    app = make_test_app(f"sqlite:///{tmp_path / 'paverkan.db'}", tmp_path / "instance")
    migrate.upgrade(db.database(app).engine)
    with app.app_context():
        session = db.session()
        round_ = open_round_with_list(session, ["anna.svensson@kommun.se;Linköping;medarbetare;"],
                                      ["Linköping"], ["medarbetare"])
        invitation = session.scalars(select(Invitation)).one()
        secrets = {
            "token": (token := tokens.token_for(invitation)),
            "token hash": invitation.token_hash,
            "marker": tokens.pool_marker(invitation),
            "draft id": tokens.draft_id(token),
            "invitation id": invitation.id,
            "address": invitation.email,
        }
        round_id = round_.id
    caplog.set_level(logging.DEBUG)
    echo = logging.getLogger("sqlalchemy.engine")
    echo.setLevel(logging.DEBUG)  # SQL echo, as `echo="debug"` or a logging config sets it
    try:
        db.database(app).engine.dispose()  # connections from now on log
        client = app.test_client()
        path = f"/s/{token}"
        # What gunicorn's default pre_request hook writes at --log-level debug:
        logging.getLogger("gunicorn.error").debug("%s %s", "GET", path)
        client.get(path)
        answer_pages(client, start(client, token))
        client.submit("/svar/granska", {"action": "submit"})
        client.get(f"{path}/avsta")
        with app.app_context():
            operations.flush_pool(db.session(), round_id, force=True)
    finally:
        echo.setLevel(logging.NOTSET)
        db.database(app).engine.dispose()
    logged = "\n".join(f"{r.name} {r.getMessage()}" for r in caplog.records)
    # A respondent's own statements run on the driver's cursor, which SQLAlchemy does not
    # echo (survey.db.Prebuilt); the flush's run through it.
    assert "INSERT INTO responses" in logged, "the echo was on"
    assert "gunicorn.error GET /s/…" in logged
    leaked = [name for name, value in secrets.items() if value in logged]
    assert not leaked, f"the log holds the {leaked}"
