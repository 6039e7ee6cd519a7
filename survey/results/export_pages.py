"""The researcher's export job: starting it from the microdata form, the page that follows
it, and the download of its file (:mod:`survey.results.export_job`). The same page follows
the masked free-text preview (and shows it when done), the codebook and the invited counts.

Only the researcher or admin who started an export sees its page, takes its file and deletes
it: other roles are refused, other researchers and admins are told the page does not exist.
The file stays in the instance folder through its downloads, so a download cut half way can be
made again, until it expires, its owner deletes it or exports the round again.
"""

from __future__ import annotations

from zoneinfo import ZoneInfo

from babel.dates import format_datetime
from flask import abort, current_app, flash, redirect, send_file, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from exports.redaction import KIND_LABELS
from survey import db, jobs
from survey.auth.decorators import current_user, role_required
from survey.i18n import current_language
from survey.jobs.models import Job
from survey.jobs.pages import follow
from survey.models import Round
from survey.results import bp, export_job

researchers = role_required(*export_job.ROLES)
#: The clock the municipalities' staff read: when a file expires is said in Swedish time.
SWEDISH_TIME = ZoneInfo("Europe/Stockholm")


def start_export(round_: Round, *, file_format: str, lang: str, free_text: bool,
                 names: list[str], product: str = "microdata"):
    """Start the researcher's export, preview, codebook or invited counts (or join theirs
    under way) and go to its page."""
    session = db.session()
    export_job.remove_expired()
    job = export_job.start(session, round_, current_user(), file_format=file_format, lang=lang,
                           free_text=free_text, names=names, locale=current_language(),
                           product=product)
    if not export_job.same_request(job, product=product, file_format=file_format, lang=lang,
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
    return _export_page(_own_export(job_id))


def _export_page(job: Job):
    return follow("results/microdata_job.html", job,
                  round=db.session().get(Round, job.round_id), kept_until=_kept_until,
                  preview_of=export_job.preview_of, kinds=KIND_LABELS, lang=current_language(),
                  title=TITLES[export_job.product_of(job)],
                  format_label=FORMAT_NAMES[job.arguments["file_format"]],
                  keep_hours=current_app.config["EXPORT_KEEP_HOURS"])


def _kept_until(job: Job) -> str | None:
    """Until when the job's file is kept, in the reader's words and Swedish time; None once
    it is gone. Asked by the template: the page may have finished the job meanwhile."""
    until = export_job.kept_until(job)
    if until is None:
        return None
    return format_datetime(until, "d MMMM y, HH:mm", tzinfo=SWEDISH_TIME, locale=get_locale())


@bp.get("/mikrodata/export/<int:job_id>/fil")
@researchers
def export_file(job_id: int):
    """The finished file, as often as its owner asks while it is kept: a download cut half
    way is made again. Once it is gone, the page says so with a 404."""
    job = _own_export(job_id)
    if job.state != "done":
        return redirect(url_for("results.export", job_id=job.id))
    path = export_job.ready_file(job)
    try:
        handle = path.open("rb") if path is not None else None
    except FileNotFoundError:  # deleted at the same moment
        handle = None
    if handle is None:
        gone = _export_page(job)
        gone.status_code = 404
        return gone
    response = send_file(handle, mimetype=export_job.media_type(job), as_attachment=True,
                         download_name=export_job.download_name(job))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.post("/mikrodata/export/<int:job_id>/radera")
@researchers
def delete_export_file(job_id: int):
    """Delete the file before it expires, once its owner has it (or wants it gone)."""
    job = _own_export(job_id)
    if export_job.delete_file(job):
        flash(_("The file is deleted."))
    return redirect(url_for("results.export", job_id=job.id))


FORMAT_NAMES = {"csv": "CSV", "xlsx": "Excel", "sav": "SPSS", "dta": "Stata", "md": "Markdown"}
TITLES = {"microdata": _l("Microdata export"), "preview": _l("Check the masked free text"),
          "codebook": _l("Codebook"), "invited": _l("Invited counts")}
