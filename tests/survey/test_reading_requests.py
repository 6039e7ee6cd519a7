"""A respondent's page view on PostgreSQL reads without a transaction (no BEGIN or ROLLBACK
round trips); anything that writes still runs in one, and the walk works end to end."""

from __future__ import annotations

import pytest
from sqlalchemy import event, func, select

from survey import db, migrate, tokens
from survey.models import Invitation, PooledSubmission
from tests.conftest import make_test_app, postgres_database, require
from tests.survey.fielding import open_round_with_list
from tests.survey.test_respondent import answer_pages, start


@pytest.mark.postgres
def test_a_respondent_on_postgres_reads_pages_without_a_transaction_and_writes_in_one(
    request, tmp_path
):
    require(request.config, "postgres")
    with postgres_database("paverkan_reading") as url:
        app = make_test_app(url, tmp_path / "instance")
        engine = db.database(app).engine
        migrate.upgrade(engine)
        with app.app_context():
            session = db.session()
            open_round_with_list(session, ["p@example.se;Linköping;medarbetare;"],
                                 ["Linköping"], ["medarbetare"])
            token = tokens.token_for(session.scalars(select(Invitation)).one())
        transactions = []  # statements sent inside a transaction (not in autocommit)

        def record(connection, _cursor, statement, *_):
            if not connection.connection.driver_connection.autocommit:
                transactions.append(statement)

        event.listen(engine, "before_cursor_execute", record)
        client = app.test_client()
        location = start(client, token)
        transactions.clear()
        assert client.get(location).status_code == 200
        assert transactions == [], "showing a page ran in a transaction"
        answer_pages(client, location)
        assert transactions, "saving pages ran in transactions"
        transactions.clear()
        assert client.get("/svar/granska").status_code == 200
        assert transactions == []
        assert client.submit("/svar/granska", {"action": "submit"}).location == "/svar/tack"
        assert "Tack" in client.get("/svar/tack").text
        with engine.connect() as reader:
            assert reader.scalar(select(func.count()).select_from(PooledSubmission)) == 1
        engine.dispose()
