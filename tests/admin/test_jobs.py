"""Long operations as background jobs: the admin confirms a send that states how many mails
go out, follows it on a page that needs no JavaScript, and a job whose worker died is taken
over by the next look at its page or by `paverkan jobs run`."""

from __future__ import annotations

import datetime as dt
import re
import time

from flask_babel import force_locale
from sqlalchemy import func, select

from survey import db, jobs, migrate
from survey.admin import jobs as admin_jobs
from survey.admin import operations
from survey.jobs.models import Job
from survey.models import Invitation, Round
from tests.admin.conftest import recipient_csv
from tests.conftest import make_test_app


def _dead_job(db_session, kind: str, round_id: int, **arguments) -> Job:
    """A job whose worker was killed: running, its lease run out."""
    job = Job(kind=kind, round_id=round_id, arguments=arguments, state="running", done=0,
              locale="sv", lease_owner="killed-worker",
              lease_until=dt.datetime.now(dt.UTC) - dt.timedelta(minutes=1))
    db_session.add(job)
    db_session.commit()
    return job


def test_the_admin_confirms_how_many_invitations_go_out_and_follows_the_send(
    app, admin_client, db_session, open_round, with_recipients, tmp_path
):
    with_recipients(7)
    app.config["MAIL_URL"] = f"outbox://{tmp_path / 'outbox'}"
    page = f"/admin/rounds/{open_round.id}"
    confirm = admin_client.get(f"{page}/send/invitation")
    assert "Brev som skickas nu: 7." in confirm.text
    started = admin_client.submit(f"{page}/send/invitation")
    assert re.fullmatch(r"/admin/jobs/\d+", started.location), started.location
    followed = admin_client.get(started.location)
    assert "Skickade: 7." in followed.text
    assert "Refresh" not in followed.headers, "a finished job's page stays still"
    assert len(list((tmp_path / "outbox").rglob("*.eml"))) == 7
    english = admin_client.get(f"{page}/send/invitation?lang=en")
    assert "Mails to send now: 0." not in english.text
    assert "There is nobody to send this mail to." in english.text


def test_a_running_job_page_reloads_itself_until_the_admin_stops_it(
    admin_client, db_session, open_round
):
    job = Job(kind="close", round_id=open_round.id, arguments={}, state="running", done=1,
              total=3, locale="sv", lease_owner="alive",
              lease_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5))
    db_session.add(job)
    db_session.commit()
    running = admin_client.get(f"/admin/jobs/{job.id}")
    assert running.headers["Refresh"] == "3"
    assert "Pågår: 1 av 3 klara." in running.text
    assert '<progress max="3" value="1"' in running.text
    still = admin_client.get(f"/admin/jobs/{job.id}?auto=0")
    assert "Refresh" not in still.headers and "Uppdatera nu" in still.text
    round_page = admin_client.get(f"/admin/rounds/{open_round.id}").text
    assert "En uppgift pågår för den här omgången: stängning av omgången." in round_page


def test_a_job_whose_worker_died_is_finished_by_the_next_look_at_its_page(
    admin_client, db_session, open_round, with_recipients
):
    with_recipients(4)
    job = _dead_job(db_session, "close", open_round.id)
    page = admin_client.get(f"/admin/jobs/{job.id}")
    assert "Omgången är stängd och adresserna är raderade." in page.text
    db_session.expire_all()
    assert open_round.state == "closed"
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 0


def test_paverkan_jobs_run_finishes_what_a_killed_worker_left(
    runner, db_session, open_round, with_recipients
):
    with_recipients(4)
    _dead_job(db_session, "close", open_round.id)
    result = runner.invoke(args=["jobs", "run"])
    assert result.exit_code == 0, result.output
    assert "close, round" in result.output and "done" in result.output
    db_session.expire_all()
    assert open_round.state == "closed"
    assert "No job was waiting" in runner.invoke(args=["jobs", "run"]).output


def test_a_double_click_joins_the_job_under_way_and_a_close_waits_for_a_send(
    app, db_session, open_round
):
    with app.app_context():
        held = _dead_job(db_session, "send", open_round.id, mailing=1)
        held.lease_until = dt.datetime.now(dt.UTC) + dt.timedelta(minutes=5)
        db_session.commit()
        assert admin_jobs.start(db_session, "send", open_round, "sv", mailing=1).id == held.id
        try:
            admin_jobs.start(db_session, "close", open_round, "sv")
        except operations.OperationError as refused:
            with force_locale("sv"):
                assert "utskick" in str(refused.message)
        else:
            raise AssertionError("a close started while mail was being sent")
        assert jobs.run(app, held.id) is None, "a live worker's job is not taken from it"


def test_an_import_killed_after_its_commit_is_not_imported_twice(
    app, admin_client, db_session, open_round
):
    """The import marks its job done in its own transaction."""
    with app.app_context():
        upload = operations.store_upload(open_round, recipient_csv(12), "lista.csv")
    page = f"/admin/rounds/{open_round.id}/recipients"
    started = admin_client.submit(f"{page}/confirm", {"upload": upload}, form_page=page)
    assert "12 mottagare lades till." in admin_client.get(started.location).text
    job = db_session.scalars(select(Job)).one()
    db_session.refresh(job)
    assert (job.state, job.done) == ("done", 12)
    with app.app_context():
        assert jobs.run(app, job.id) is None
    assert db_session.scalar(select(func.count()).select_from(Invitation)) == 12


def test_a_background_close_reports_its_progress_from_its_own_thread(tmp_path):
    """Outside the tests' shared transaction the job runs in a thread with its heartbeat."""
    folder = tmp_path / "data"
    folder.mkdir()
    app = make_test_app(f"sqlite:///{folder / 'p.sqlite3'}", tmp_path / "instance",
                        JOB_LEASE_SECONDS=1.0)
    migrate.upgrade(db.database(app).engine)
    with app.app_context():
        session = db.session()
        round_ = operations.create_round(
            session, title="Omgång", reference_year=2025, opens_on=dt.date.today(),
            closes_on=dt.date.today(), municipalities=["Linköping", "Norrköping"],
            groups=["förtroendevald", "medarbetare"])
        operations.open_round(session, round_)
        operations.import_recipients(session, round_, operations.preview_import(
            session, round_, recipient_csv(50), "l.csv"))
        job = admin_jobs.start(session, "close", round_, "en")
        jobs.run_in_background(app, job)
        deadline = time.monotonic() + 30
        session.commit()  # no open reader: the close empties SQLite's log
        while not session.get(Job, job.id).finished:
            assert time.monotonic() < deadline
            time.sleep(0.1)
            session.rollback()
        finished = session.get(Job, job.id)
        assert (finished.state, finished.done, finished.total) == ("done", 3, 3)
        assert finished.outcome == "The round is closed and the addresses are erased."
        assert finished.lease_owner is None
        assert session.get(Round, round_.id).state == "closed"
    db.database(app).engine.dispose()
