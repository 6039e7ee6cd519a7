"""Resumable background jobs: work longer than a web request may take (a close with its
scrub, a send-out, a large import, a microdata export) runs here, and a page follows it.

A web request *starts* a job (a row in `jobs`) and hands it to a thread of the same worker
process; the CLI runs the same job in the foreground. Whoever runs a job first *claims* it:
an atomic update that takes the job's lease, which a heartbeat thread renews while the work
goes on. A worker that is killed or restarted stops renewing; once the lease has run out,
the next one to look (the job's page, the button pressed again, `paverkan jobs run`) claims
it and runs it again from the start. Each kind of job is written so that a rerun completes
what the last run left: the close skips its committed transaction and scrubs again, a
send-out sends only what is not sent, an import commits all or nothing and marks its job
done in that same transaction, an export writes its file again and logs it when it marks
its job done.

Written here rather than taken from a library: RQ, Celery, Dramatiq and huey need a broker
(Redis, RabbitMQ) or support only one of SQLite and PostgreSQL, and APScheduler schedules
calls but keeps neither progress nor a lease. Ours is a table, an update and a thread.
"""

from __future__ import annotations

import datetime as dt
import secrets
import threading
from collections.abc import Callable

from flask import Flask, current_app, g, has_app_context
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import or_, select, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session

from survey import db
from survey.jobs.models import ACTIVE_STATES, Job

#: kind -> the work: called with a session, the job and its `Progress`; returns the message
#: the job's page shows when it is done.
Work = Callable[[Session, Job, "Progress"], str]
KINDS: dict[str, Work] = {}
#: What the page of a job stopped by an unexpected error tells its user to do.
RESTART_ADVICE = _l("The work stopped because of an error. Start it again: it continues where "
                    "it stopped.")
#: kind -> that advice in the kind's own words, where starting it again means something else
#: (an export is started again by sending its form, and writes its file from the start).
RESTART_ADVICE_OF: dict[str, str] = {}


def kind(name: str, restart_advice: str | None = None) -> Callable[[Work], Work]:
    """Register the work of a kind of job (the admin's jobs live in survey/admin/jobs.py,
    the researcher's export in survey/results/export_job.py), and what its page says after
    an unexpected error when the shared advice does not fit it."""

    def register(work: Work) -> Work:
        KINDS[name] = work
        if restart_advice is not None:
            RESTART_ADVICE_OF[name] = restart_advice
        return work

    return register


class Failed(Exception):
    """The work cannot be done (the round's state forbids it); the message is for the user."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


class LeaseLost(Exception):
    """Another worker took the job over (this one was thought dead): stop without a word."""


class Progress:
    """What the work reports as it goes; the heartbeat writes it with the lease."""

    def __init__(self, done: int = 0, total: int | None = None) -> None:
        self.done = done
        self.total = total
        self.lost = False

    def __call__(self, done: int, total: int | None = None) -> None:
        if self.lost:
            raise LeaseLost
        self.done = done
        if total is not None:
            self.total = total


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _lease() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["JOB_LEASE_SECONDS"])


def active(session: Session, round_id: int, kinds: tuple[str, ...] | None = None,
           owner_id: int | None = None) -> Job | None:
    """The round's unfinished shared job (of these kinds), or with `owner_id` that staff
    member's personal one, if any."""
    query = select(Job).where(Job.round_id == round_id, Job.state.in_(ACTIVE_STATES),
                              Job.owner_id.is_(None) if owner_id is None
                              else Job.owner_id == owner_id)
    if kinds is not None:
        query = query.where(Job.kind.in_(kinds))
    return session.scalar(query.order_by(Job.id).limit(1))


def latest(session: Session, round_id: int, kind_: str) -> Job | None:
    return session.scalar(select(Job).where(Job.round_id == round_id, Job.kind == kind_)
                          .order_by(Job.id.desc()).limit(1))


def start(session: Session, kind_: str, round_id: int, arguments: dict | None = None,
          locale: str = "sv", owner_id: int | None = None) -> Job:
    """A new job, or the round's unfinished job of this kind (and owner): a double click, a
    second admin or a rerun joins the job under way instead of starting another."""
    for _attempt in range(2):
        job = active(session, round_id, (kind_,), owner_id)
        if job is not None:
            return job
        job = Job(kind=kind_, round_id=round_id, arguments=arguments or {}, state="waiting",
                  done=0, locale=locale, owner_id=owner_id)
        session.add(job)
        try:
            session.commit()
        except IntegrityError:  # another request started it at the same moment
            session.rollback()
        else:
            return job
    raise RuntimeError("a job was started and finished between two statements")


def _claimable(now: dt.datetime):
    return Job.state.in_(ACTIVE_STATES) & or_(Job.lease_until.is_(None), Job.lease_until < now)


def is_orphaned(session: Session, job: Job) -> bool:
    """Unfinished and held by nobody: never claimed, or its worker stopped renewing."""
    return session.scalar(select(Job.id).where(Job.id == job.id, _claimable(_now()))) is not None


def _claim(session: Session, job_id: int, owner: str) -> bool:
    now = _now()
    claimed = session.execute(
        update(Job)
        .execution_options(synchronize_session=False)  # SQLite hands back naive times
        .where(Job.id == job_id, _claimable(now))
        .values(state="running", lease_owner=owner, lease_until=now + _lease())
    ).rowcount
    session.commit()
    return bool(claimed)


class _Heartbeat(threading.Thread):
    """Renews the lease and writes the progress every few seconds, in a session of its own,
    so that neither waits for the work's transaction (a close's VACUUM runs for minutes)."""

    def __init__(self, app: Flask, job_id: int, owner: str, progress: Progress) -> None:
        super().__init__(daemon=True, name=f"job-{job_id}-heartbeat")
        self.app, self.job_id, self.owner, self.progress = app, job_id, owner, progress
        self.stopping = threading.Event()

    def run(self) -> None:
        with self.app.app_context():
            interval = self.app.config["JOB_LEASE_SECONDS"] / 5
            while not self.stopping.wait(interval):
                self.beat()

    def beat(self) -> None:
        session = db.database(self.app).sessionmaker()
        try:
            renewed = session.execute(
                update(Job)
                .execution_options(synchronize_session=False)
                .where(Job.id == self.job_id, Job.lease_owner == self.owner)
                .values(lease_until=_now() + _lease(), done=self.progress.done,
                        total=self.progress.total)
            ).rowcount
            session.commit()
            if not renewed:
                self.progress.lost = True
        except SQLAlchemyError as error:  # busy database: the next beat tries again
            self.app.logger.warning("Job %s: the heartbeat could not be written (%s)",
                                    self.job_id, type(error).__name__)
        finally:
            session.close()

    def stop(self) -> None:
        self.stopping.set()
        if self.is_alive():
            self.join()


def run(app: Flask, job_id: int) -> Job | None:
    """Claim the job and do its work in this thread; the finished job, or None when another
    worker holds it (or it is finished)."""
    owner = secrets.token_hex(16)
    database = db.database(app)
    if has_app_context() and "db_session" in g:
        # The caller's open transaction would hold the job back (a reader keeps a close
        # from emptying SQLite's log, an old snapshot keeps VACUUM FULL from dropping rows)
        # or, sharing the tests' one connection, roll the job's work back when it ends.
        g.db_session.commit()
    with app.app_context():
        session = database.sessionmaker()
        try:
            if not _claim(session, job_id, owner):
                return None
            job = session.get(Job, job_id)
            progress = Progress(job.done, job.total)
            heartbeat = None
            if not database.single_connection:
                heartbeat = _Heartbeat(app, job_id, owner, progress)
                heartbeat.start()
            try:
                with force_locale(job.locale):
                    state, outcome = _work(app, session, job, progress)
            except LeaseLost:
                return None
            finally:
                if heartbeat is not None:
                    heartbeat.stop()
            session.rollback()
            session.execute(
                update(Job)
                .execution_options(synchronize_session=False)
                .where(Job.id == job_id, Job.lease_owner == owner)
                .values(state=state, outcome=outcome, done=progress.done, total=progress.total,
                        lease_owner=None, lease_until=None)
            )
            session.commit()
            job = session.get(Job, job_id)
            session.refresh(job)
            session.expunge(job)
            return job
        finally:
            session.close()


def _work(app: Flask, session: Session, job: Job, progress: Progress) -> tuple[str, str]:
    job_id, kind_ = job.id, job.kind
    try:
        return "done", str(KINDS[kind_](session, job, progress))
    except Failed as failure:
        return "failed", str(failure.message)
    except LeaseLost:
        raise
    except Exception as error:
        # Only the type: a database error's text carries the statement's values (addresses).
        session.rollback()
        app.logger.error("Job %s (%s) stopped: %s", job_id, kind_, type(error).__name__)
        return "failed", str(RESTART_ADVICE_OF.get(kind_, RESTART_ADVICE))


def run_in_background(app: Flask, job: Job) -> None:
    """Hand the job to a thread of this process (the request returns at once). Where every
    session shares one connection (the tests' transaction) it runs here and now instead."""
    if db.database(app).single_connection:
        run(app, job.id)
        return
    threading.Thread(target=run, args=(app, job.id), daemon=True,
                     name=f"job-{job.id}").start()


def resume_if_orphaned(app: Flask, session: Session, job: Job) -> bool:
    """Take over a job whose worker is gone (called whenever its page is looked at)."""
    if job.finished or not is_orphaned(session, job):
        return False
    run_in_background(app, job)
    return True


def run_orphaned(app: Flask) -> list[Job]:
    """Run every unfinished job nobody holds, in the foreground (`paverkan jobs run`)."""
    finished = []
    with app.app_context():
        session = db.database(app).sessionmaker()
        try:
            ids = list(session.scalars(select(Job.id).where(_claimable(_now())).order_by(Job.id)))
        finally:
            session.close()
    for job_id in ids:
        job = run(app, job_id)
        if job is not None:
            finished.append(job)
    return finished
