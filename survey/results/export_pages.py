"""The researcher's export job: starting it from the microdata form, the page that follows
it, and the download of its file (:mod:`survey.results.export_job`).

Only the researcher or admin who started an export sees its page and takes its file: other
roles are refused, other researchers and admins are told the page does not exist. The file
leaves the instance folder with its download.
"""

from __future__ import annotations

from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exports import writers
from survey import db, jobs
from survey.auth.decorators import current_user, role_required
from survey.i18n import current_language
from survey.jobs.models import Job
from survey.jobs.pages import follow
from survey.models import Round
from survey.results import bp, export_job

researchers = role_required(*export_job.ROLES)


def start_export(round_: Round, *, file_format: str, lang: str, free_text: bool,
                 names: list[str]):
    """Start the researcher's export (or join theirs under way) and go to its page."""
    session = db.session()
    export_job.remove_expired()
    job = export_job.start(session, round_, current_user(), file_format=file_format, lang=lang,
                           free_text=free_text, names=names, locale=current_language())
    if not export_job.same_request(job, file_format=file_format, lang=lang,
                                   free_text=free_text):
        flash(_("Your earlier export of this round is still being made; this is its page. "
                "Start the new one when it is done."))
    jobs.resume_if_orphaned(current_app._get_current_object(), session, job)
    return redirect(url_for("results.export", job_id=job.id))


def _own_export(job_id: int) -> Job:
    job = db.session().get(Job, job_id)
    if not export_job.belongs_to(job, current_user()):
        abort(404)
    export_job.remove_expired()
    return job


@bp.get("/mikrodata/export/<int:job_id>")
@researchers
def export(job_id: int):
    job = _own_export(job_id)
    return follow("results/microdata_job.html", job,
                  round=db.session().get(Round, job.round_id),
                  ready_file=export_job.ready_file, title=_l("Microdata export"),
                  format_label=FORMAT_NAMES[job.arguments["file_format"]],
                  keep_hours=current_app.config["EXPORT_KEEP_HOURS"])


@bp.get("/mikrodata/export/<int:job_id>/fil")
@researchers
def export_file(job_id: int):
    """The finished file, once: it leaves the folder as its download starts (the open file
    is read to its end; no second download finds it)."""
    job = _own_export(job_id)
    path = export_job.ready_file(job)
    try:
        handle = path.open("rb") if path is not None else None
    except FileNotFoundError:  # a download at the same moment took it
        handle = None
    if handle is None:
        return redirect(url_for("results.export", job_id=job.id))
    path.unlink(missing_ok=True)
    file_format = job.arguments["file_format"]
    response = send_file(handle, mimetype=writers.MEDIA_TYPES[file_format], as_attachment=True,
                         download_name=f"mikrodata-omgang-{job.round_id}.{file_format}")
    response.headers["Cache-Control"] = "no-store"
    return response


FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel", "sav": "SPSS", "dta": "Stata"}
