"""A researcher's microdata export as a background job (:mod:`survey.jobs`): the file is
written in the instance folder, outside the web root, and only its owner may take it.

The job belongs to the researcher or admin who asked (`Job.owner_id`); its arguments are the
format, the language, whether free text is in, and the key of the file that holds the extra
names to mask: the names themselves are kept out of the job row, as they may name people.
The file is written under a name of its own and moved into place when it is complete, in
the transaction that logs the export and marks the job done, so a worker killed on the way
leaves no half-written file to download and a rerun logs the export once. The file is kept
through its downloads, so a download cut half way can be made again, until its owner deletes
it, starts another export of the round, or it is older than ``EXPORT_KEEP_HOURS``, when it
goes with every other file of the folder that old (a name list, a piece left by a killed
worker).
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import secrets
import tempfile
import time
from pathlib import Path

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import select, update
from sqlalchemy.orm import Session

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


def file_of(job: Job) -> Path:
    """Where the job's finished file is kept: named by the job, never by its contents."""
    return folder() / f"job-{job.id}.{job.arguments['file_format']}"


def ready_file(job: Job) -> Path | None:
    """The job's complete file while it is kept (not deleted, not expired), else None."""
    path = file_of(job)
    return path if job.state == "done" and path.is_file() else None


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
          free_text: bool, names: list[str], locale: str) -> Job:
    """Start the owner's export of the round, or join theirs under way (a double submit)."""
    key = _store_names(names) if free_text and names else None
    job = jobs.start(db, KIND, round_.id, {"file_format": file_format, "lang": lang,
                                           "free_text": free_text, "names": key},
                     locale, owner_id=owner.id)
    if job.arguments.get("names") != key:
        _discard_names(key)
    _delete_earlier_files(db, job)
    return job


def _delete_earlier_files(db: Session, job: Job) -> None:
    """The owner's earlier files of the round go when they export it again: one copy of a
    round's microdata waits in the folder for them, not one per export."""
    earlier = db.scalars(select(Job).where(Job.kind == KIND, Job.round_id == job.round_id,
                                           Job.owner_id == job.owner_id, Job.id < job.id,
                                           Job.state == "done"))
    for finished in earlier:
        delete_file(finished)


def same_request(job: Job, *, file_format: str, lang: str, free_text: bool) -> bool:
    """Whether a joined job makes the file the form asked for (the names aside)."""
    arguments = job.arguments
    return (arguments["file_format"], arguments["lang"], arguments["free_text"]) == (
        file_format, lang, free_text)


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
    final = file_of(job)
    handle, name = tempfile.mkstemp(dir=folder(), prefix=f"job-{job.id}-",
                                    suffix=f".partial.{arguments['file_format']}")
    os.close(handle)
    partial = Path(name)

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

    try:
        prepared = microdata_export.export(
            db, db.get(Round, job.round_id), who=owner.email,
            file_format=arguments["file_format"], path=partial, lang=arguments["lang"],
            free_text=arguments["free_text"], names=names, progress=progress, written=written)
    except jobs.LeaseLost:
        raise  # the worker that took the job over needs the names
    except microdata_export.ExportRefused as refused:
        _discard_names(arguments["names"])
        raise jobs.Failed(refused.message) from None
    except Exception:
        final.unlink(missing_ok=True)
        _discard_names(arguments["names"])
        raise
    finally:
        partial.unlink(missing_ok=True)
    _discard_names(arguments["names"])
    return _outcome(prepared)


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
