"""The page that follows a background job, and the one way the admin pages start one.

The page works without JavaScript: while the job runs it asks the browser to reload it
every few seconds (an HTTP ``Refresh`` header, which the admin can switch off with a link)
and offers a link to update by hand. Looking at it also takes over a job whose worker died.
"""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import lazy_gettext as _l

from survey import db, jobs
from survey.admin import bp, operations
from survey.admin import jobs as admin_jobs
from survey.auth.decorators import role_required
from survey.i18n import current_language
from survey.jobs.models import Job
from survey.models import Round

#: Seconds between the page's reloads while its job runs.
RELOAD_SECONDS = 3

TITLES = {"close": _l("Closing the round"), "send": _l("Sending mail"),
          "import": _l("Importing recipients")}


@bp.get("/jobs/<int:job_id>")
@role_required("admin")
def job(job_id: int):
    session = db.session()
    job = session.get(Job, job_id)
    if job is None:
        abort(404)
    if jobs.resume_if_orphaned(current_app._get_current_object(), session, job):
        session.refresh(job)
    automatic = request.args.get("auto") != "0"
    response = make_response(render_template(
        "admin/job.html", job=job, round=session.get(Round, job.round_id),
        title=TITLES[job.kind], automatic=automatic))
    if automatic and not job.finished:
        response.headers["Refresh"] = str(RELOAD_SECONDS)
    return response


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
