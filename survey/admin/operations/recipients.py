"""The recipient list: preview and import of an uploaded file, and an invitation's opt-out."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, insert, select
from sqlalchemy.orm import Session

from survey import tokens
from survey.admin.operations.common import OperationError, Progress, unreported, upload_folder
from survey.models import Invitation, Round, lock_round, random_id
from survey.recipients import Report, parse
from survey.respondent import operations as respondent


def existing_emails(db: Session, round_: Round) -> list[str]:
    return list(db.scalars(
        select(Invitation.email).where(Invitation.round_id == round_.id,
                                       Invitation.email.is_not(None))
    ))


def _strata_counts(db: Session, round_: Round) -> dict[tuple[str, str, str | None], int]:
    keys = (Invitation.municipality, Invitation.group, Invitation.unit)
    rows = db.execute(select(*keys, func.count()).where(Invitation.round_id == round_.id)
                      .group_by(*keys))
    return {(m, g, u): n for m, g, u, n in rows}


def preview_import(
    db: Session, round_: Round, data: bytes, filename: str, sheet: str | None = None
) -> Report:
    """The report the admin confirms; raises `RecipientFileError` for an unusable file."""
    return parse(
        data,
        filename,
        municipalities=round_.municipalities,
        groups=round_.groups,
        existing_emails=existing_emails(db, round_),
        existing_strata=_strata_counts(db, round_),
        min_unit_size=round_.min_cell_size,
        sheet=sheet,
        max_bytes=current_app.config["RECIPIENT_UPLOAD_MAX_BYTES"],
    )


#: An import reports its progress every this many recipients.
IMPORT_BATCH = 1000


def store_upload(round_: Round, data: bytes, filename: str) -> str:
    """Keep a checked list until the admin confirms it (or the CLI's job imports it); the
    key names it, the close erases it with the round's uploads."""
    key = secrets.token_hex(16)
    folder = upload_folder(round_)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / key).write_bytes(data)
    (folder / f"{key}.name").write_text(filename)
    return key


def import_recipients(db: Session, round_: Round, report: Report,
                      progress: Progress | None = None,
                      before_commit: Callable[[int], None] | None = None) -> int:
    """Store a clean report's recipients as invitations, all or none. Each gets a random id
    and only the keyed hash of its link token. `before_commit(count)` runs inside the
    transaction (a job records there that it is done, so a rerun cannot import twice).

    Holds the round shared (`lock_round`): a close that began meanwhile has either finished,
    and the round takes no more recipients, or waits for this import and erases it too."""
    progress = progress or unreported
    progress(0, len(report.recipients))
    lock_round(db, round_.id, shared=True)
    if round_.state == "closed":
        raise OperationError(_l("A closed round takes no more recipients."))
    if not report.ok:
        raise OperationError(_l("The list has problems; correct the file and try again."))
    taken = {e.casefold() for e in existing_emails(db, round_)}
    if any(r.email.casefold() in taken for r in report.recipients):
        raise OperationError(_l("Some addresses were added to the round meanwhile; "
                                "upload the file again to see which."))
    rows = []
    for position, recipient in enumerate(report.recipients):
        if position % IMPORT_BATCH == 0:
            progress(position)
        invitation_id = random_id()
        rows.append({
            "id": invitation_id,
            "round_id": round_.id,
            "email": recipient.email,
            "municipality": recipient.municipality,
            "group": recipient.group,
            "unit": recipient.unit,
            "token_hash": tokens.token_hash(tokens.link_token(round_, invitation_id)),
            "state": "invited",
            "mails_sent": 0,
        })
    if rows:
        db.execute(insert(Invitation), rows)
    if before_commit is not None:
        before_commit(len(rows))
    db.commit()
    return len(rows)


def can_decline(db: Session, invitation: Invitation) -> bool:
    """Only an invitation still waiting, in an open round, can decline. A submission waiting
    in the pool counts as answered: otherwise the opt-out page would tell whoever holds the
    link whether its owner has submitted, and a decline would flip the row of a pooled
    invitation alone."""
    return (invitation.state == "invited" and invitation.round.state == "open"
            and not respondent.is_submitted(db, invitation))


def decline(db: Session, invitation: Invitation) -> bool:
    """The opt-out link: no more reminders."""
    if not can_decline(db, invitation):
        return False
    invitation.state = "declined"
    db.commit()
    return True
