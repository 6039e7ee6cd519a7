"""PostgreSQL restarted under a running app: the server ends every connection in the app's
pool. The respondent's next request, whichever it is, gets a fresh connection and its page,
not a 500."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.pool import NullPool

from survey.models import Draft, PooledSubmission
from tests.survey.test_reading_requests import one_invitee_round
from tests.survey.test_respondent import answer_pages, start
from tests.survey.walk import fill


def end_every_connection(url: str) -> int:
    """What a restart does to the app's connections: the server ends each one (and this
    waits until its backend has gone); how many there were."""
    admin = create_engine(url, poolclass=NullPool)
    with admin.connect() as connection:
        # Listed first, then ended one by one: in one statement the planner may call
        # pg_terminate_backend before the other conditions, on the whole server's backends.
        backends = connection.scalars(text(
            "SELECT pid FROM pg_stat_activity WHERE datname = current_database() "
            "AND pid <> pg_backend_pid()")).all()
        for pid in backends:
            assert connection.scalar(text("SELECT pg_terminate_backend(:pid, 5000)"),
                                     {"pid": pid})
    admin.dispose()
    return len(backends)


@pytest.mark.postgres
def test_a_respondent_meets_no_error_after_postgres_ended_every_connection(request, tmp_path):
    with one_invitee_round(request, tmp_path) as (app, engine, _round_id, token):
        url = engine.url.render_as_string(hide_password=False)
        client = app.test_client()
        location = start(client, token)
        form = {**fill(client.get(location).text), "action": "next",
                "csrf_token": client.csrf_token(location)}

        assert end_every_connection(url) >= 1
        assert client.get(location).status_code == 200, "a page shown"
        assert end_every_connection(url) >= 1
        sent = client.post(location, data=form)
        assert sent.status_code == 302, "a page sent"
        with engine.connect() as reader:
            assert reader.scalar(select(func.count()).select_from(Draft)) == 1

        assert answer_pages(client, sent.location)[0] == "/svar/granska"
        csrf = client.csrf_token("/svar/granska")
        assert end_every_connection(url) >= 1
        submitted = client.post("/svar/granska", data={"action": "submit", "csrf_token": csrf})
        assert submitted.location == "/svar/tack", "the submit"
        assert end_every_connection(url) >= 1
        assert "Tack" in client.get("/svar/tack").text
        with engine.connect() as reader:
            assert reader.scalar(select(func.count()).select_from(PooledSubmission)) == 1
