"""A respondent on PostgreSQL with every transaction committed for real: a page shown and a
page sent run without a transaction (no BEGIN, COMMIT or ROLLBACK round trips: a page sent
writes its draft in one statement that checks the round), the submit runs in one, and a
page sent while the round closes waits for the close."""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from flask import Flask
from sqlalchemy import Engine, event, func, select, update

from survey import db, migrate, tokens
from survey.models import Draft, Invitation, PooledSubmission, Round
from tests.conftest import make_test_app, postgres_database, require
from tests.survey.fielding import open_round_with_list
from tests.survey.test_respondent import answer_pages, start
from tests.survey.walk import fill


@contextlib.contextmanager
def one_invitee_round(request, tmp_path) -> Iterator[tuple[Flask, Engine, int, str]]:
    """A scratch PostgreSQL database with an open round of one invitee: the app, its engine,
    the round's id and the invitee's link token."""
    require(request.config, "postgres")
    with postgres_database("paverkan_reading") as url:
        app = make_test_app(url, tmp_path / "instance")
        engine = db.database(app).engine
        migrate.upgrade(engine)
        with app.app_context():
            session = db.session()
            round_ = open_round_with_list(session, ["p@example.se;Linköping;medarbetare;"],
                                          ["Linköping"], ["medarbetare"])
            token = tokens.token_for(session.scalars(select(Invitation)).one())
            round_id = round_.id
        yield app, engine, round_id, token
        engine.dispose()


@pytest.mark.postgres
def test_a_respondent_on_postgres_shows_and_saves_pages_without_a_transaction_and_submits_in_one(
    request, tmp_path
):
    with one_invitee_round(request, tmp_path) as (app, engine, _round_id, token):
        transactions = []  # statements sent inside a transaction (not in autocommit)

        class RecordingCursor(psycopg.Cursor):
            """Sees every statement at the driver, also those that the respondent's
            operations run on its cursor without SQLAlchemy (survey.db.Prebuilt)."""

            def execute(self, query, params=None, **options):
                if not self.connection.autocommit:
                    transactions.append(query)
                return super().execute(query, params, **options)

        def record(driver_connection, _record, _proxy):
            driver_connection.cursor_factory = RecordingCursor

        event.listen(engine, "checkout", record)
        client = app.test_client()
        location = start(client, token)
        transactions.clear()
        assert client.get(location).status_code == 200
        assert transactions == [], "showing a page ran in a transaction"
        answer_pages(client, location)
        assert transactions == [], "saving a page ran in a transaction"
        with engine.connect() as reader:
            assert reader.scalar(select(func.count()).select_from(Draft)) == 1, "pages saved"
        transactions.clear()  # the reader's
        assert client.get("/svar/granska").status_code == 200
        assert transactions == []
        assert client.submit("/svar/granska", {"action": "submit"}).location == "/svar/tack"
        assert any(s.startswith("INSERT INTO submission_pool") for s in transactions), \
            "the submit ran in a transaction"
        assert "Tack" in client.get("/svar/tack").text
        with engine.connect() as reader:
            assert reader.scalar(select(func.count()).select_from(PooledSubmission)) == 1


@pytest.mark.postgres
def test_a_page_sent_while_the_round_closes_on_postgres_leaves_no_draft(request, tmp_path):
    """The close holds the round's row; a page sent meanwhile waits for it, then meets the
    closed page, and no draft of the closed round is left behind (as SQLite's write lock
    ensures there)."""
    with one_invitee_round(request, tmp_path) as (app, engine, round_id, token):
        client = app.test_client()
        location = start(client, token)
        form = {**fill(client.get(location).text), "action": "next",
                "csrf_token": client.csrf_token(location)}
        with engine.connect() as closer:
            closer.execute(select(Round.id).where(Round.id == round_id)
                           .with_for_update(key_share=True))
            with ThreadPoolExecutor(1) as pool:
                sent = pool.submit(client.post, location, data=form)
                time.sleep(1)
                assert not sent.done(), "the page did not wait for the close"
                closer.execute(update(Round).where(Round.id == round_id)
                               .values(state="closed", link_salt=None))
                closer.commit()
                response = sent.result(timeout=30)
        assert response.status_code == 403 and "stängd" in response.text
        with engine.connect() as reader:
            assert reader.scalar(select(func.count()).select_from(Draft)) == 0
