"""The attacker reads the reminders (docs/anonymity.md, *Reminders*).

Each reminder's delivery rows list whom it went to. If they skipped the pooled, each
reminder would list exactly who had not yet submitted, and every person would get a submit
window between two reminders. Here the attacker takes a backup before each reminder and
checks what the deliveries add to it: nothing, since a reminder goes to every invitation the
backup shows as not yet answered, pooled or not.
"""

from __future__ import annotations

from sqlalchemy import func, select

from survey import tokens
from survey.admin import operations
from survey.admin.models import Delivery
from survey.models import Invitation, PooledSubmission, Response
from survey.respondent import operations as respondent


def _answer(db_session, invitation) -> None:
    token = tokens.token_for(invitation)
    respondent.save_draft(db_session, token, invitation.round, {"a4": 1}, "review")
    assert respondent.submit(db_session, token)


def test_reminder_deliveries_add_nothing_to_what_a_backup_already_shows(
    app, db_session, open_round, with_recipients
):
    """People answer in waves between three reminders; before each reminder the attacker
    notes the invitations not yet marked responded (and not opted out or bounced). The
    reminder's deliveries are exactly those: the pooled are reminded like the rest."""
    with_recipients(12)
    with app.app_context():
        operations.send_mailing(db_session, operations.start_mailing(
            db_session, open_round, "invitation"))
        people = db_session.scalars(select(Invitation).order_by(Invitation.id)).all()
        waves = [people[0:2], people[2:3], people[3:7]]
        pooled_at_some_reminder = set()
        for number, wave in enumerate(waves, start=1):
            for invitation in wave:
                _answer(db_session, invitation)
            pooled = db_session.scalar(select(func.count()).select_from(PooledSubmission))
            if pooled:
                pooled_at_some_reminder |= {i.id for i in wave}
            mailing = operations.start_mailing(db_session, open_round, "reminder", number)
            # What a backup taken once the reminder has been chosen shows of the invitations:
            db_session.expire_all()
            not_answered = set(db_session.scalars(
                select(Invitation.id).where(Invitation.state == "invited")))
            operations.send_mailing(db_session, mailing)
            reminded = set(db_session.scalars(
                select(Delivery.invitation_id).where(Delivery.mailing_id == mailing.id)))
            assert reminded == not_answered
    assert pooled_at_some_reminder, "the story must have pooled answers at a reminder"


def test_the_flush_timer_turns_whole_batches_into_responses(
    app, db_session, runner, open_round, with_recipients
):
    """`paverkan round flush` (run from a timer) flushes every stratum that holds a batch and
    leaves a smaller pool waiting; a submit alone flushes nothing."""
    with_recipients(12)
    strata: dict[tuple, list[Invitation]] = {}
    for invitation in db_session.scalars(select(Invitation).order_by(Invitation.id)):
        strata.setdefault((invitation.municipality, invitation.group, invitation.unit),
                          []).append(invitation)
    full, *_ = sorted(strata.values(), key=len, reverse=True)
    small = next(people for people in strata.values() if people is not full)
    assert len(full) >= app.config["POOL_SIZE"]
    with app.app_context():
        for invitation in [*full, small[0]]:
            _answer(db_session, invitation)
    assert db_session.scalar(select(func.count()).select_from(Response)) == 0
    result = runner.invoke(args=["round", "flush"])
    assert result.exit_code == 0, result.output
    assert f"Open rounds checked: 1; pooled answers that became responses: {len(full)}." in (
        result.output)
    db_session.expire_all()
    assert db_session.scalar(select(func.count()).select_from(Response)) == len(full)
    assert db_session.scalar(select(func.count()).select_from(PooledSubmission)) == 1
