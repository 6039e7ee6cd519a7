"""Closing erases addresses from the database *file*, not only from what SQL can see."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import text

from survey import db, migrate
from survey.admin import operations
from tests.admin.conftest import recipient_csv
from tests.conftest import make_test_app, postgres_database, require


def _round_with_recipients(session, n: int):
    round_ = operations.create_round(
        session, title="Omgång", reference_year=2025, opens_on=dt.date.today(),
        closes_on=dt.date.today(), municipalities=["Linköping", "Norrköping"],
        groups=["förtroendevald", "medarbetare"],
    )
    operations.open_round(session, round_)
    report = operations.preview_import(session, round_, recipient_csv(n), "lista.csv")
    operations.import_recipients(session, round_, report)
    return round_


def test_the_sqlite_files_hold_no_address_after_closing(tmp_path):
    """Freed pages and the write-ahead log keep deleted bytes unless the close scrubs them."""
    folder = tmp_path / "data"
    folder.mkdir()
    app = make_test_app(f"sqlite:///{folder / 'paverkan.sqlite3'}", tmp_path / "instance")
    migrate.upgrade(db.database(app).engine)
    with app.app_context():
        session = db.session()
        round_ = _round_with_recipients(session, 5000)
        before = b"".join(p.read_bytes() for p in folder.iterdir())
        assert b"person7@example.se" in before
        operations.close_round(session, round_)
        after = {p.name: p.read_bytes() for p in folder.iterdir()}  # the server still runs
    db.database(app).engine.dispose()
    for name, content in after.items():
        leaked = [i for i in range(5000) if f"person{i}@example.se".encode() in content]
        assert leaked == [], f"{name} still holds {len(leaked)} addresses"


@pytest.mark.postgres
def test_postgresql_rewrites_the_erased_tables_when_a_round_closes(request, tmp_path):
    """Dead row versions keep the old values on disk until the table is rewritten."""
    require(request.config, "postgres")
    with postgres_database("paverkan_erasure") as url:
        app = make_test_app(url, tmp_path / "instance")
        migrate.upgrade(db.database(app).engine)
        with app.app_context():
            session = db.session()
            round_ = _round_with_recipients(session, 50)
            node = "SELECT pg_relation_filenode('invitations')"
            before = session.execute(text(node)).scalar()
            session.commit()
            operations.close_round(session, round_)
            assert session.execute(text(node)).scalar() != before, "the table was rewritten"
        db.database(app).engine.dispose()
