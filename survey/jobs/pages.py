"""What every job's page does, whoever may see it (the admin's jobs, a researcher's export).

The page works without JavaScript: while the job runs it asks the browser to reload it
every few seconds (an HTTP ``Refresh`` header, which the reader can switch off with a link)
and offers a link to update by hand (``templates/_job_progress.html``). Looking at it also
takes over a job whose worker died.
"""

from __future__ import annotations

from flask import Response, current_app, make_response, render_template, request

from survey import db, jobs
from survey.jobs.models import Job

#: Seconds between the page's reloads while its job runs.
RELOAD_SECONDS = 3


def follow(template: str, job: Job, **context) -> Response:
    """Render the job's page, after taking the job over if its worker is gone."""
    session = db.session()
    if jobs.resume_if_orphaned(current_app._get_current_object(), session, job):
        session.refresh(job)
    automatic = request.args.get("auto") != "0"
    response = make_response(render_template(template, job=job, automatic=automatic,
                                             **context))
    if automatic and not job.finished:
        response.headers["Refresh"] = str(RELOAD_SECONDS)
    return response
