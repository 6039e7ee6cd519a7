"""A respondent's statements run on the driver's own cursor (survey.db.Prebuilt), which saves
the worker most of SQLAlchemy's work per statement; what they read must still be what
SQLAlchemy reads, on SQLite (dates as text, flags as integers, lists as JSON text) as on
PostgreSQL (binary results)."""

from __future__ import annotations

import datetime as dt

from survey.models import Invitation, Round
from survey.respondent import operations
from tests.conftest import InvitationFactory


def test_a_link_reads_its_invitation_and_round_as_the_orm_reads_them(app, db_session):
    invitation = InvitationFactory()
    with app.app_context():
        link = operations.look_up(db_session, invitation.token)
        summary = operations.round_summary(db_session, invitation.round.id)
        db_session.expire_all()
        stored = db_session.get(Invitation, invitation.id)
        round_ = db_session.get(Round, invitation.round.id)
        assert link.state is operations.LinkState.READY
        for name, value in vars(link.invitation).items():
            if name != "round":
                assert value == getattr(stored, name), name
        assert vars(link.round) == vars(summary)
        assert len(vars(summary)) == len(Round.__table__.columns) - 1  # all but the definition
        for name, value in vars(summary).items():
            expected = getattr(round_, name)
            assert value == expected and type(value) is type(expected), name
        assert isinstance(summary.closes_on, dt.date) and isinstance(summary.municipalities, list)
