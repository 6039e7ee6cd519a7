"""Invitations and reminders over real SMTP: exactly once, resumable, counts only."""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

import pytest
from sqlalchemy import select

from survey import tokens
from survey.admin import operations
from survey.admin.models import Delivery
from survey.models import Invitation


def _send(app, db_session, round_, kind="invitation", number=None, **options):
    """What `paverkan mail invite|remind` does (operations read the app's config)."""
    with app.app_context():
        mailing = operations.start_mailing(db_session, round_, kind, number)
        return operations.send_mailing(db_session, mailing, **options)


def test_a_dropped_connection_mid_batch_then_a_rerun_gives_everyone_exactly_one_mail(
    app, db_session, open_round, with_recipients, smtp_server
):
    """The relay hangs up after 4 of 10 mails; the admin runs the same command again."""
    with_recipients(10)
    recorder, url = smtp_server("plain", drop_after=4)
    app.config["MAIL_URL"] = url
    first = _send(app, db_session, open_round)
    assert (first.sent, first.failed, first.stopped is not None) == (4, 1, True)
    recorder.drop_after = None
    second = _send(app, db_session, open_round)
    assert second.sent == 6
    third = _send(app, db_session, open_round)
    assert third.sent == 0
    addresses = sorted(recorder.recipients())
    assert addresses == sorted(f"person{i}@example.se" for i in range(10))
    sent = db_session.scalars(select(Invitation.mails_sent)).all()
    assert sent == [1] * 10


def test_a_mail_whose_fate_is_unknown_is_not_resent_unless_asked(
    app, db_session, open_round, with_recipients, smtp_server
):
    with_recipients(3)
    recorder, url = smtp_server("plain", drop_in_data_after=1)
    app.config["MAIL_URL"] = url
    first = _send(app, db_session, open_round)
    assert (first.sent, first.uncertain) == (1, 1)
    recorder.drop_in_data_after = None
    second = _send(app, db_session, open_round)
    assert (second.sent, second.counts) == (1, {"sent": 2, "uncertain": 1})
    third = _send(app, db_session, open_round, resend_uncertain=True)
    assert third.sent == 1
    assert len(recorder.messages) == 3


def test_a_crashed_sender_leaves_its_mail_uncertain_for_the_next_run(
    app, db_session, open_round, with_recipients
):
    """The process died after committing 'sending': the mail may be out. The next run, once
    the dead sender's claim has expired, does not send it again."""
    with_recipients(2)
    with app.app_context():
        mailing = operations.start_mailing(db_session, open_round, "invitation")
        crashed = db_session.scalars(select(Delivery)).first()
        crashed.state = "sending"
        db_session.commit()
        result = operations.send_mailing(db_session, mailing)
    assert (result.sent, result.counts) == (1, {"sent": 1, "uncertain": 1})


def test_permanent_refusals_bounce_and_temporary_ones_are_retried(
    app, db_session, open_round, with_recipients, smtp_server
):
    with_recipients(3)
    recorder, url = smtp_server("plain", refuse={"person0@example.se": "550 No such user",
                                                 "person1@example.se": "451 Try later"})
    app.config["MAIL_URL"] = url
    first = _send(app, db_session, open_round)
    assert (first.sent, first.failed, first.bounced) == (1, 1, 1)
    recorder.refuse.pop("person1@example.se")
    assert _send(app, db_session, open_round).sent == 1
    states = dict(db_session.execute(select(Invitation.email, Invitation.state)).all())
    assert states["person0@example.se"] == "bounced"
    with app.app_context():
        rates = operations.response_rates(db_session, open_round)
    assert sum(r.bounced for r in rates) == 1


def test_the_invitation_holds_both_languages_the_link_and_the_opt_out(
    app, db_session, open_round, with_recipients, client
):
    """Default transport: one .eml per mail in the instance's outbox."""
    with_recipients(1)
    assert _send(app, db_session, open_round).sent == 1
    [eml] = list((Path(app.instance_path) / "outbox").rglob("*.eml"))
    mail = message_from_bytes(eml.read_bytes(), policy=policy.default)
    invitation = db_session.scalars(select(Invitation)).one()
    with app.app_context():
        token = tokens.token_for(invitation)
    text = mail.get_body(("plain",)).get_content()
    html = mail.get_body(("html",)).get_content()
    assert f"/s/{token}" in text and f"/s/{token}/avsta" in text
    assert "Din personliga länk" in text
    assert "Your personal link" in text
    assert f'href="http://127.0.0.1:5000/s/{token}"' in html
    assert mail["To"] == "person0@example.se"


def test_opting_out_stops_reminders_and_reminders_skip_who_answered(
    app, db_session, open_round, with_recipients, client, smtp_server
):
    with_recipients(4)
    recorder, url = smtp_server("plain")
    app.config["MAIL_URL"] = url
    _send(app, db_session, open_round)
    invitations = db_session.scalars(select(Invitation).order_by(Invitation.email)).all()
    declining, answered = invitations[0], invitations[1]
    with app.app_context():
        token = tokens.token_for(declining)
    page = client.get(f"/s/{token}/avsta")
    assert page.status_code == 200 and declining.state == "invited"  # GET changes nothing
    client.submit(f"/s/{token}/avsta", {})
    answered.state = "responded"
    db_session.commit()
    db_session.refresh(declining)
    assert declining.state == "declined"
    recorder.messages.clear()
    reminder = _send(app, db_session, open_round, "reminder")
    assert reminder.sent == 2
    assert sorted(recorder.recipients()) == sorted(i.email for i in invitations[2:])
    rerun = pytest.raises(operations.OperationError, match="redan skickad")
    with app.test_request_context(), rerun:
        _send(app, db_session, open_round, "reminder")  # a rerun reminds nobody again
    second = _send(app, db_session, open_round, "reminder", number=2)
    assert second.sent == 2, "a second reminder, asked for by number, goes to the same two"


def test_the_dashboard_shows_counts_per_stratum_and_no_person(
    app, admin_client, db_session, open_round, with_recipients
):
    with_recipients(6)
    _send(app, db_session, open_round)
    page = admin_client.get(f"/admin/rounds/{open_round.id}")
    assert page.status_code == 200
    assert "<svg" in page.text
    assert "Per enhet" in page.text and "Enhet 1" in page.text
    assert "@example.se" not in page.text
    rates = operations.response_rates(db_session, open_round)
    assert sum(r.invited for r in rates) == 6 and sum(r.mails_sent for r in rates) == 6
    assert {(r.municipality, r.group) for r in rates} == {
        ("Linköping", "förtroendevald"), ("Linköping", "medarbetare"),
        ("Norrköping", "förtroendevald"), ("Norrköping", "medarbetare"),
    }


def test_a_reminder_reaches_a_submission_still_waiting_in_the_pool(
    app, db_session, open_round, with_recipients, smtp_server
):
    """The answer is in the pool, the invitation not yet marked: the reminder goes to them
    as to everyone not flushed (skipping them would tell who has submitted), and its text
    asks whoever has answered to ignore it."""
    from survey.respondent.operations import save_draft, submit

    with_recipients(3)
    recorder, url = smtp_server("plain")
    app.config["MAIL_URL"] = url
    _send(app, db_session, open_round)
    invitations = db_session.scalars(select(Invitation).order_by(Invitation.email)).all()
    with app.app_context():
        token = tokens.token_for(invitations[0])
        save_draft(db_session, token, open_round, {"a1": 1}, None)
        assert submit(db_session, token)
    db_session.refresh(invitations[0])
    assert invitations[0].state == "invited", "the pool has not been flushed"
    recorder.messages.clear()
    assert _send(app, db_session, open_round, "reminder").sent == 3
    assert invitations[0].email in recorder.recipients()
    assert "please ignore this mail" in str(
        recorder.messages[0].get_body(("plain",)).get_content())


def test_a_second_sender_cannot_work_on_a_mailing_another_is_sending(
    app, db_session, open_round, with_recipients
):
    """Several app servers share the queue; the lease keeps each mail to one sender."""
    import datetime as dt

    with_recipients(2)
    with app.app_context():
        mailing = operations.start_mailing(db_session, open_round, "invitation")
        mailing.lease_owner = "another-server"
        mailing.lease_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1)
        db_session.commit()
        with pytest.raises(operations.OperationError):
            operations.send_mailing(db_session, mailing)
        mailing.lease_until = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1)
        db_session.commit()
        assert operations.send_mailing(db_session, mailing).sent == 2


def test_a_double_click_or_a_rerun_never_reminds_everyone_twice(
    app, admin_client, runner, db_session, open_round, with_recipients, smtp_server
):
    with_recipients(3)
    recorder, url = smtp_server("plain")
    app.config["MAIL_URL"] = url
    _send(app, db_session, open_round)
    recorder.messages.clear()
    page = f"/admin/rounds/{open_round.id}"
    assert "påminnelse 1" in admin_client.get(page).text
    for _ in range(2):  # the same form, submitted twice
        admin_client.submit(f"{page}/send/reminder", {"number": "1"}, form_page=page)
    assert len(recorder.messages) == 3
    rerun = runner.invoke(args=["mail", "remind", "--round", str(open_round.id)])
    assert rerun.exit_code != 0 and "reminder 2" in rerun.output
    assert len(recorder.messages) == 3
    second = runner.invoke(args=["mail", "remind", "--round", str(open_round.id),
                                 "--number", "2"])
    assert second.exit_code == 0, second.output
    assert len(recorder.messages) == 6


def test_the_admin_decides_on_the_page_to_resend_uncertain_mails(
    app, admin_client, db_session, open_round, with_recipients, smtp_server
):
    with_recipients(2)
    recorder, url = smtp_server("plain", drop_in_data_after=1)
    app.config["MAIL_URL"] = url
    page = f"/admin/rounds/{open_round.id}"
    admin_client.submit(f"{page}/send/invitation", {}, form_page=page)
    assert len(recorder.messages) == 1
    recorder.drop_in_data_after = None
    shown = admin_client.get(page).text
    assert "Skicka om de osäkra breven" in shown
    action = re.search(r'action="([^"]+/resend)"', shown)[1]
    admin_client.submit(action, {}, form_page=page)
    assert len(recorder.messages) == 2
    assert "Skicka om de osäkra breven" not in admin_client.get(page).text


def test_mail_to_a_real_relay_with_links_to_this_computer_is_refused(
    app, db_session, open_round, with_recipients
):
    """A forgotten PAVERKAN_BASE_URL would send a whole round dead links."""
    with_recipients(1)
    app.config["MAIL_URL"] = "smtp://utskick:hemligt@smtp.kommun.example:587"
    with app.test_request_context():
        mailing = operations.start_mailing(db_session, open_round, "invitation")
        with pytest.raises(operations.OperationError, match="PAVERKAN_BASE_URL"):
            operations.send_mailing(db_session, mailing)
