"""The page that follows a background job, and the one way the admin pages start one.

The page works without JavaScript and takes over a job whose worker died, as every job's
page does (:mod:`survey.jobs.pages`).
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, url_for
from flask_babel import lazy_gettext as _l

from survey import db, jobs
from survey.admin import bp, operations
from survey.admin import jobs as admin_jobs
from survey.auth.decorators import role_required
from survey.i18n import current_language
from survey.jobs.models import Job
from survey.jobs.pages import follow
from survey.models import Round

TITLES = {"close": _l("Closing the round"), "send": _l("Sending mail"),
          "import": _l("Importing recipients")}


@bp.get("/jobs/<int:job_id>")
@role_required("admin")
def job(job_id: int):
    session = db.session()
    job = session.get(Job, job_id)
    if job is None or job.owner_id is not None:
        abort(404)
    return follow("admin/job.html", job, round=session.get(Round, job.round_id),
                  title=TITLES[job.kind])


def start_job(kind: str, round_: Round, **arguments):
    """Start (or join) the round's job of this kind and send the browser to its page; back
    to the round, with the reason, when it cannot start."""
    session = db.session()
    try:
        job = admin_jobs.start(session, kind, round_, current_language(), **arguments)
    except operations.OperationError as problem:
        flash(str(problem.message))
        return redirect(url_for("admin.round", round_id=round_.id))
    jobs.resume_if_orphaned(current_app._get_current_object(), session, job)
    return redirect(url_for("admin.job", job_id=job.id))
