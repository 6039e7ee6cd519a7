"""The attacker's story, continued after the security review (docs/anonymity.md).

The attacker holds the database, every backup, the recipient list and the outbox folder of
mails, but not the instance secret. Each test plays one line of attack the review found.
"""

from __future__ import annotations

import pytest
from sqlalchemy import inspect, select, text

from survey import create_app, tokens
from survey.crypto import CannotOpen, unseal
from survey.models import Draft, Response
from survey.respondent import operations
from tests.conftest import InvitationFactory, RoundFactory

SECRET_ANSWER = "Min chef hotade mig efter mötet"


def test_neither_a_response_nor_a_pooled_submission_records_when_it_came(db_session):
    """A submission day pairs a response with whoever was (or was not) reminded before it,
    so no day is stored at all: the round's own dates are the only time there is."""
    inspector = inspect(db_session.connection())
    for table in ("responses", "submission_pool"):
        columns = {c["name"] for c in inspector.get_columns(table)}
        assert not {"submitted_on", "submitted_at", "created_on", "created_at"} & columns


def test_the_outbox_and_the_database_together_open_no_draft(app, db_session, tmp_path):
    """The attacker reads the link from a mail in the outbox and runs Påverkan's own code,
    with their own instance secret, against the database: no draft is found or opened."""
    invitation = InvitationFactory()
    with app.app_context():
        operations.save_draft(
            db_session, invitation.token, invitation.round, {"f1": SECRET_ANSWER}, "p1"
        )
        assert operations.load_draft(db_session, invitation.token).answers == {
            "f1": SECRET_ANSWER
        }
    attacker = create_app(
        {"INSTANCE_PATH": str(tmp_path / "attacker"), "SECRET_KEY": "the attacker's own",
         "DATABASE_URL": "sqlite://"}
    )
    with attacker.app_context():
        guessed_id = tokens.draft_id(invitation.token)
        guessed_key = tokens.draft_key(invitation.token)
    assert db_session.get(Draft, guessed_id) is None
    for content in db_session.scalars(select(Draft.content)):
        with pytest.raises(CannotOpen):
            unseal(guessed_key, content)


def test_a_pooled_submission_shows_neither_answers_nor_stratum(app, db_session):
    """Until the flush, a backup of the pool must not say which stratum answered what when;
    after the flush the response carries them as before."""
    round_ = RoundFactory()
    invitation = InvitationFactory(round=round_, municipality="Norrköping",
                                   group="förtroendevald", unit="Kulturförvaltningen")
    with app.app_context():
        operations.save_draft(db_session, invitation.token, round_,
                              {"a4": 1, "f2": SECRET_ANSWER}, "review")
        assert operations.submit(db_session, invitation.token)
    rows = db_session.execute(text("SELECT * FROM submission_pool")).all()
    assert len(rows) == 1
    blob = " ".join(
        bytes(v).hex() + repr(bytes(v)) if isinstance(v, bytes | memoryview) else str(v)
        for v in rows[0]
    )
    for clear in ("Norrköping", "förtroendevald", "Kulturförvaltningen", SECRET_ANSWER,
                  "Min chef", '"a4"'):
        assert clear not in blob, f"the pool shows {clear!r}"
    with app.app_context():
        assert operations.flush_pool(db_session, round_.id, force=True) == 1
    response = db_session.scalar(select(Response))
    assert (response.municipality, response.group, response.unit) == (
        "Norrköping", "förtroendevald", "Kulturförvaltningen")
    assert response.answers["f2"] == SECRET_ANSWER
