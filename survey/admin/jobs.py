"""The administrator's long operations as background jobs (`survey.jobs`): closing a round,
sending a mailing, importing a recipient list. Each calls the one operation that does the
writing and turns its result into the message the job's page shows; the pages and the CLI
start and run these same jobs."""

from __future__ import annotations

import time
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

from survey import jobs
from survey.admin import operations
from survey.admin.models import Mailing
from survey.admin.operations.mailing import LEASE, MailingBusy
from survey.jobs.models import Job
from survey.mail import TransportError
from survey.models import Round
from survey.recipients import RecipientFileError

#: Which jobs cannot run side by side on one round: a send-out or an import crossing a
#: close would mail or store what the close erases.
EXCLUDES = {"close": ("send", "import"), "send": ("close",), "import": ("close",)}


@jobs.kind("close")
def close(db: Session, job: Job, progress: jobs.Progress) -> str:
    try:
        closed_now = operations.close_round(db, db.get(Round, job.round_id), progress)
    except operations.OperationError as problem:
        raise jobs.Failed(problem.message) from None
    if closed_now:
        return _l("The round is closed and the addresses are erased.")
    return _l("The round was already closed; its erasure has been run again to the end.")


@jobs.kind("send")
def send(db: Session, job: Job, progress: jobs.Progress) -> str:
    """Sends what is left of the mailing. A send taken over from a killed worker waits for
    that worker's claim on the mailing to run out (`LEASE`), with the heartbeat going."""
    mailing = db.get(Mailing, job.arguments["mailing"])
    deadline = time.monotonic() + LEASE.total_seconds() + 60
    while True:
        try:
            result = operations.send_mailing(
                db, mailing, resend_uncertain=job.arguments.get("resend_uncertain", False),
                progress=progress)
        except MailingBusy as busy:
            if time.monotonic() > deadline:
                raise jobs.Failed(busy.message) from None
            progress(progress.done)  # stops here if another worker took the job over
            time.sleep(5)
            continue
        except operations.OperationError as problem:
            raise jobs.Failed(problem.message) from None
        except TransportError as problem:
            current_app.logger.warning("Mail transport failed: %s", problem)
            raise jobs.Failed(_l("The mail server could not be reached or refused the login. "
                                 "Nothing was marked as sent; start the send again later.")
                              ) from None
        break
    summary = _l("Sent: %(sent)s. Failed, to retry: %(failed)s. Bounced: %(bounced)s. "
                 "Uncertain: %(uncertain)s.", sent=result.sent, failed=result.failed,
                 bounced=result.bounced, uncertain=result.uncertain)
    if result.stopped:
        raise jobs.Failed(_l("%(summary)s The send stopped early (%(reason)s); %(n)s mails "
                             "are left. Start it again to continue: nothing is sent twice.",
                             summary=summary, reason=result.stopped, n=result.remaining))
    return summary


@jobs.kind("import")
def import_(db: Session, job: Job, progress: jobs.Progress) -> str:
    """Imports an uploaded list checked on the preview page. The import marks its job done
    in its own transaction, so a worker killed after that commit leaves nothing to redo."""
    round_ = db.get(Round, job.round_id)
    path = operations.upload_folder(round_) / job.arguments["upload"]
    if not path.is_file():
        raise jobs.Failed(_l("The upload could not be found. Upload the file again."))
    name = path.with_name(f"{path.name}.name").read_text()

    def record(count: int) -> None:
        job.state, job.done, job.total = "done", count, count
        job.outcome = str(_l("%(count)s recipients were added.", count=count))

    try:
        report = operations.preview_import(db, round_, path.read_bytes(), name,
                                           job.arguments.get("sheet"))
        count = operations.import_recipients(db, round_, report, progress, before_commit=record)
    except (RecipientFileError, operations.OperationError) as problem:
        _discard(path)
        raise jobs.Failed(problem.message) from None
    _discard(path)
    progress(count, count)
    return _l("%(count)s recipients were added.", count=count)


def _discard(upload: Path) -> None:
    upload.unlink(missing_ok=True)
    upload.with_name(f"{upload.name}.name").unlink(missing_ok=True)


def start(db: Session, kind: str, round_: Round, locale: str, **arguments) -> Job:
    """Start (or join) a job on the round; refused while one it excludes is unfinished."""
    blocking = jobs.active(db, round_.id, EXCLUDES[kind])
    if blocking is not None:
        raise operations.OperationError(_l(
            "The round is busy with another task (%(task)s); wait until it has finished.",
            task=TASK_NAMES[blocking.kind]))
    return jobs.start(db, kind, round_.id, arguments, locale)


TASK_NAMES = {"close": _l("closing the round"), "send": _l("sending mail"),
              "import": _l("importing recipients")}
