"""The recipient list: preview and import of an uploaded file, and an invitation's opt-out."""

from __future__ import annotations

import secrets
from collections.abc import Callable

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, exists, func, insert, select
from sqlalchemy.orm import Session

from survey import tokens
from survey.admin.models import Delivery
from survey.admin.operations.common import OperationError, Progress, unreported, upload_folder
from survey.forms import has_control_characters, max_length, visible
from survey.models import Invitation, Round, lock_round, random_id
from survey.recipients import Report, is_valid_email, parse
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


#: Deliveries that may have put the link in the person's hands.
_REACHED = ("sending", "sent", "uncertain")


def find_recipient(db: Session, round_: Round, email: str) -> Invitation | None:
    """The round's invitation for an address, however its case was written (compared in
    Python: SQLite's lower() folds only ASCII)."""
    wanted = email.strip().casefold()
    rows = db.execute(select(Invitation.id, Invitation.email)
                      .where(Invitation.round_id == round_.id, Invitation.email.is_not(None)))
    found = next((id_ for id_, address in rows if address.casefold() == wanted), None)
    return None if found is None else db.get(Invitation, found)


def _has_been_mailed(db: Session, invitation: Invitation) -> bool:
    return invitation.mails_sent > 0 or bool(db.scalar(select(exists().where(
        Delivery.invitation_id == invitation.id, Delivery.state.in_(_REACHED)))))


def _small_units_after(db: Session, round_: Round,
                       moves: dict[tuple[str, str, str | None], int]) -> list[str]:
    """The units the import's rule would refuse once `moves` (stratum: change of count) is
    applied, among the municipality × group pairs the moves touch (people without a unit
    are no unit, as there)."""
    counts = _strata_counts(db, round_)
    for stratum, change in moves.items():
        counts[stratum] = counts.get(stratum, 0) + change
    touched = {stratum[:2] for stratum in moves}
    small = []
    for pair in touched:
        units = {s: n for s, n in counts.items() if s[:2] == pair and n > 0}
        if len(units) < 2:
            continue
        small += [f"{s[2]} ({n})" for s, n in sorted(units.items(), key=str)
                  if s[2] and n < round_.min_cell_size]
    return small


def change_recipient(db: Session, round_: Round, email: str, *,
                     correction: tuple[str, str, str, str | None] | None) -> bool:
    """Correct one recipient (`correction` = e-mail, municipality, group, unit) or remove them
    (`correction` None), in a round that is not closed. True when the correction gave the
    person a new link (:func:`_retire_link`).

    Nothing here may depend on whether the person has answered, or the page would tell the
    admin (see docs/anonymity.md): the address can always be corrected (no count changes; a
    bounce is forgotten so the new address gets mail), but moving a person to another
    stratum or removing them is allowed only while no mail has gone to them. Such a person
    has no link, so cannot have answered, and the change moves only "invited" counts. Once a
    mail went out, a stratum's responded count would drop by one when its answerer left it."""
    lock_round(db, round_.id, shared=True)
    if round_.state == "closed":
        raise OperationError(_l("A closed round's recipients can no longer be changed."))
    invitation = find_recipient(db, round_, email)
    if invitation is None:
        raise OperationError(_l("Nobody in this round has the address %(email)s.",
                                email=email.strip()))
    if correction is not None:
        _check_correction(db, round_, invitation, *correction)
    old = (invitation.municipality, invitation.group, invitation.unit)
    new = None if correction is None else correction[1:]
    if new != old and _has_been_mailed(db, invitation):
        raise OperationError(_l(
            "A mail has already gone to %(email)s, so the person can only get a corrected "
            "address: moving or removing them now could reveal whether they have answered.",
            email=invitation.email))
    moves = {old: -1}
    if new is not None:
        moves[new] = moves.get(new, 0) + 1
    small = _small_units_after(db, round_, moves) if new != old else []
    if small:
        raise OperationError(_l(
            "That would leave too few people in a unit that splits its municipality and "
            "group (at least %(n)s are needed): %(units)s.",
            n=round_.min_cell_size, units=", ".join(small)))
    new_link = False
    if correction is None:
        db.execute(delete(Delivery).where(Delivery.invitation_id == invitation.id))
        db.delete(invitation)
    else:
        email, municipality, group, unit = correction
        if email.strip() != invitation.email:
            new_link = email.strip().casefold() != invitation.email.casefold()
            if new_link:
                _retire_link(invitation)
            invitation.email = email.strip()
            invitation.last_mail_error = None
            if invitation.state == "bounced":
                invitation.state = "invited"
        invitation.municipality, invitation.group, invitation.unit = municipality, group, unit
    db.commit()
    return new_link


def _retire_link(invitation: Invitation) -> None:
    """Give the invitation its next link: whoever got a mail at the wrong address meets the
    unknown link's page (as does a session begun with it), and the next mail carries the new
    link. The pool marker is the invitation's, not the link's, so an invitation someone
    already answered through the old link stays answered: the new link shows "already sent".

    The old link's draft is left as it is, unreachable (its id and key come from the old
    token), until the close erases every draft: deleting it here would show whoever diffs two
    backups around a correction that the person had started and not yet sent."""
    invitation.link_generation += 1
    invitation.token_hash = tokens.token_hash(tokens.token_for(invitation))


def _check_correction(db: Session, round_: Round, invitation: Invitation,
                      email: str, municipality: str, group: str, unit: str | None) -> None:
    email = email.strip()
    if municipality not in round_.municipalities or group not in round_.groups:
        raise OperationError(_l("Choose one of the round's municipalities and groups."))
    if not is_valid_email(email):
        raise OperationError(_l("Write an e-mail address, such as anna.berg@kommun.se."))
    if unit is not None and len(unit) > (limit := max_length(Invitation.unit)):
        raise OperationError(_l("%(value)s is longer than %(max)s characters.",
                                value=unit[:40] + "…", max=limit))
    if unit is not None and (has_control_characters(unit) or "\n" in unit):
        raise OperationError(_l("%(text)s must be one line without invisible control "
                                "characters.", text=visible(unit)))
    other = find_recipient(db, round_, email)
    if other is not None and other.id != invitation.id:
        raise OperationError(_l("%(email)s is already in the round.", email=email))
