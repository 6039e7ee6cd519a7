"""A researcher's microdata export as a background job (:mod:`survey.jobs`): the file is
written in the instance folder, outside the web root, and only its owner may take it.

Everything else on the microdata page that prepares the whole round runs as such a job too
(its ``product``): the masked free text shown before a file with free text is offered
(``preview``), the codebook (``codebook``) and the invited counts (``invited``). Preparing a
closed round of 100,000 responses takes tens of seconds, more than a proxy lets a request
live. Only the file itself is logged as an export: the others hold no answers, or, the
preview, a few masked ones that only the researcher who asked sees before deciding.

The job belongs to the researcher or admin who asked (`Job.owner_id`); its arguments are the
format, the language, whether free text is in, and the key of the file that holds the extra
names to mask: the names themselves are kept out of the job row, as they may name people.
The file is written under a name of its own and moved into place when it is complete, in
the transaction that logs the export and marks the job done, so a worker killed on the way
leaves no half-written file to download and a rerun logs the export once. The file is kept
through its downloads, so a download cut half way can be made again, until its owner deletes
it, asks for the same of the round again, or it is older than ``EXPORT_KEEP_HOURS``, when it
goes with every other file of the folder that old (a name list, a piece left by a killed
worker).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import secrets
import tempfile
import time
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from exports import codebook as codebooks
from exports import writers
from survey import jobs
from survey.jobs.models import ACTIVE_STATES, Job
from survey.models import Round, User
from survey.results import microdata_export

KIND = "export"
#: The roles that may export microdata (the page's decorator says the same).
ROLES = ("researcher", "admin")


def folder() -> Path:
    """The instance folder's ``exports``, readable by the server's user alone."""
    path = Path(current_app.instance_path) / "exports"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def product_of(job: Job) -> str:
    """What the job makes: ``microdata``, the file (the only one logged as an export);
    ``preview``, the masked free text to check before it; ``codebook`` (``file_format``
    ``xlsx`` or ``md``); ``invited``, the counts. A job started before there were several
    products makes a microdata file."""
    return job.arguments.get("product", "microdata")


def extension_of(job: Job) -> str:
    product = product_of(job)
    return {"preview": "json", "invited": "csv"}.get(product, job.arguments["file_format"])


def file_of(job: Job) -> Path:
    """Where the job's finished file is kept: named by the job, never by its contents."""
    return folder() / f"job-{job.id}.{extension_of(job)}"


def ready_file(job: Job) -> Path | None:
    """The job's complete file for download while it is kept (not deleted, not expired),
    else None; a preview has none: it is shown, never downloaded."""
    path = file_of(job)
    return (path if job.state == "done" and product_of(job) != "preview" and path.is_file()
            else None)


def download_name(job: Job) -> str:
    """The file's name in the language of its contents (ASCII, for any file system)."""
    with force_locale(job.arguments.get("lang", "sv")):
        stem = str(_DOWNLOAD_STEMS[product_of(job)]) % {"round": job.round_id}
    return f"{stem}.{extension_of(job)}"


_DOWNLOAD_STEMS = {"microdata": _l("microdata-round-%(round)s"),
                   "codebook": _l("codebook-round-%(round)s"),
                   "invited": _l("invited-round-%(round)s")}


def media_type(job: Job) -> str:
    extension = extension_of(job)
    return "text/markdown; charset=utf-8" if extension == "md" else writers.MEDIA_TYPES[extension]


def preview_of(job: Job) -> dict | None:
    """A finished preview's masked free text while it is kept: ``texts`` read, ``counts``
    of masks by kind, a ``sample`` of masked answers, and the ``names`` the researcher gave
    (for the form that asks for the file); None once expired."""
    if job.state != "done" or product_of(job) != "preview":
        return None
    try:
        return json.loads(file_of(job).read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None


def kept_until(job: Job) -> dt.datetime | None:
    """When the job's complete file expires (``EXPORT_KEEP_HOURS`` after it was written),
    or None when it is no longer kept."""
    path = ready_file(job)
    if path is None:
        return None
    try:
        written = path.stat().st_mtime
    except FileNotFoundError:  # deleted meanwhile
        return None
    return (dt.datetime.fromtimestamp(written, dt.UTC)
            + dt.timedelta(hours=current_app.config["EXPORT_KEEP_HOURS"]))


def delete_file(job: Job) -> bool:
    """Delete the job's file before it expires (its owner asked, or exports the round
    again); whether it was still there."""
    try:
        file_of(job).unlink()
    except FileNotFoundError:
        return False
    return True


def belongs_to(job: Job | None, user: User) -> bool:
    return job is not None and job.kind == KIND and job.owner_id == user.id


def start(db: Session, round_: Round, owner: User, *, file_format: str, lang: str,
          free_text: bool, names: list[str], locale: str, product: str = "microdata") -> Job:
    """Start the owner's export (or preview, codebook, invited counts) of the round, or join
    theirs under way (a double submit): one whole-round preparation per owner and round."""
    key = _store_names(names) if free_text and names else None
    job = jobs.start(db, KIND, round_.id, {"product": product, "file_format": file_format,
                                           "lang": lang, "free_text": free_text, "names": key},
                     locale, owner_id=owner.id)
    if job.arguments.get("names") != key:
        _discard_names(key)
    _delete_earlier_files(db, job)
    return job


def _delete_earlier_files(db: Session, job: Job) -> None:
    """The owner's earlier files of the round go when they ask for the same again: one copy
    of a round's microdata (or codebook, invited counts) waits in the folder for them, not one
    per export. The masked free text they checked goes too once they ask for the file."""
    replaced = {product_of(job)} | ({"preview"} if product_of(job) == "microdata" else set())
    earlier = db.scalars(select(Job).where(Job.kind == KIND, Job.round_id == job.round_id,
                                           Job.owner_id == job.owner_id, Job.id < job.id,
                                           Job.state == "done"))
    for finished in earlier:
        if product_of(finished) in replaced:
            delete_file(finished)


def same_request(job: Job, *, product: str, file_format: str, lang: str,
                 free_text: bool) -> bool:
    """Whether a joined job makes what the researcher asked for (the names aside)."""
    arguments = job.arguments
    return (product_of(job), arguments["file_format"], arguments["lang"],
            arguments["free_text"]) == (product, file_format, lang, free_text)


@jobs.kind(KIND, restart_advice=_l(
    "The export stopped because of an error. Send the export form again to make the file "
    "anew."))
def export_microdata(db: Session, job: Job, progress: jobs.Progress) -> str:
    """Write the file and log the export; a rerun writes it again from the start."""
    arguments = job.arguments
    owner = db.get(User, job.owner_id)
    if owner is None or not owner.active or owner.role not in ROLES:
        _discard_names(arguments["names"])
        raise jobs.Failed(_l("The account that asked for this export may no longer export "
                             "microdata."))
    names = _read_names(arguments["names"])
    if product_of(job) != "microdata":
        return _prepare_unlogged(db, job, progress, names)
    final = file_of(job)
    with _writing(job, arguments["file_format"], final) as partial:

        def written(prepared) -> None:
            partial.chmod(0o600)
            partial.replace(final)
            marked = db.execute(
                update(Job).execution_options(synchronize_session=False)
                .where(Job.id == job.id, Job.state.in_(ACTIVE_STATES))
                .values(state="done", outcome=str(_outcome(prepared)))
            ).rowcount
            if not marked:  # another worker finished it and logged the export first
                raise jobs.LeaseLost

        prepared = microdata_export.export(
            db, db.get(Round, job.round_id), who=owner.email,
            file_format=arguments["file_format"], path=partial, lang=arguments["lang"],
            free_text=arguments["free_text"], names=names, progress=progress, written=written)
    return _outcome(prepared)


@contextlib.contextmanager
def _writing(job: Job, extension: str, final: Path | None = None):
    """A partial file of the job's own, removed however the work ends. The names the
    researcher gave for the free text's masking are discarded when it ends, but not when
    another worker took the job over (it needs them); an export the disclosure rules refuse
    fails with their message. ``final``: the finished file, removed too if the work fails
    after moving it into place."""
    names = job.arguments["names"]
    handle, name = tempfile.mkstemp(dir=folder(), prefix=f"job-{job.id}-",
                                    suffix=f".partial.{extension}")
    os.close(handle)
    partial = Path(name)
    try:
        yield partial
    except jobs.LeaseLost:
        raise
    except microdata_export.ExportRefused as refused:
        _discard_names(names)
        raise jobs.Failed(refused.message) from None
    except Exception:
        if final is not None:
            final.unlink(missing_ok=True)
        _discard_names(names)
        raise
    finally:
        partial.unlink(missing_ok=True)
    _discard_names(names)


def _prepare_unlogged(db: Session, job: Job, progress: jobs.Progress,
                      names: list[str]) -> str:
    """Write a preview, codebook or invited counts under a name of its own and move it into
    place when complete; a rerun writes it again (nothing is logged, nothing counted twice)."""
    arguments, product = job.arguments, product_of(job)
    with _writing(job, extension_of(job)) as partial:
        progress(0, microdata_export.EXPORT_STEPS)
        prepared = microdata_export.prepare(db, db.get(Round, job.round_id),
                                            lang=arguments["lang"],
                                            free_text=product == "preview", names=names)
        progress(1, microdata_export.EXPORT_STEPS)
        if product == "preview":
            redaction = prepared.redaction
            partial.write_text(json.dumps({"texts": redaction.texts, "counts": redaction.counts,
                                           "sample": list(redaction.sample), "names": names},
                                          ensure_ascii=False), encoding="utf-8")
        elif product == "codebook" and arguments["file_format"] == "md":
            partial.write_text(codebooks.markdown(prepared), encoding="utf-8")
        elif product == "codebook":
            codebooks.write_xlsx(prepared, partial)
        else:
            writers.write_invited(prepared, partial)
        partial.chmod(0o600)
        partial.replace(file_of(job))
        progress(2, microdata_export.EXPORT_STEPS)
    return str(_READY[product])


_READY = {"preview": _l("The free text is masked: check it below before you ask for the file."),
          "codebook": _l("The codebook is ready."),
          "invited": _l("The invited counts are ready.")}


def _outcome(prepared) -> str:
    return _l("The file is ready: %(responses)s responses, %(variables)s variables.",
              responses=len(prepared.frame), variables=len(prepared.columns))


def remove_expired() -> int:
    """Delete every file of the folder older than ``EXPORT_KEEP_HOURS``; how many went."""
    limit = time.time() - current_app.config["EXPORT_KEEP_HOURS"] * 3600
    removed = 0
    for path in folder().iterdir():
        with contextlib.suppress(FileNotFoundError):  # deleted by its owner meanwhile
            if path.stat().st_mtime < limit:
                path.unlink()
                removed += 1
    return removed


def _names_path(key: str) -> Path:
    if len(key) != 32 or not all(c in "0123456789abcdef" for c in key):
        raise ValueError("not a key of a name list")
    return folder() / f"names-{key}.txt"


def _store_names(names: list[str]) -> str:
    key = secrets.token_hex(16)
    descriptor = os.open(_names_path(key), os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write("\n".join(names))
    return key


def _discard_names(key: str | None) -> None:
    if key is not None:
        _names_path(key).unlink(missing_ok=True)


def _read_names(key: str | None) -> list[str]:
    if key is None:
        return []
    try:
        return _names_path(key).read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise jobs.Failed(_l("The names to mask are no longer kept: the export waited too long "
                             "for a worker. Start the export again.")) from None
