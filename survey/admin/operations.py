"""What an administrator can do to a round. The pages and the CLI call these, nothing else
writes: each function checks the round's state, makes its change and commits.

Two promises live here. Sending is exactly-once: every mail is a `Delivery` whose state is
committed before and after its SMTP transaction, so a rerun after a crash or a dropped
connection sends each remaining mail once and none twice (a mail whose fate is unknown is
marked *uncertain* and is only resent when a person says so). And nobody sees who has
answered: reminders are chosen inside `start_mailing`, and every count leaves this module
aggregated per stratum.
"""

from __future__ import annotations

import datetime as dt
import secrets
import shutil
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Engine, case, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

import questionnaires
from questionnaires.model import group_code
from survey import tokens
from survey.admin import mailtext
from survey.admin.models import Delivery, Mailing, MailTemplate, MailTotal, StratumCount
from survey.forms import max_length
from survey.mail import (
    OutboxTransport,
    PermanentFailure,
    SMTPTransport,
    TemporaryFailure,
    TransportError,
    UncertainDelivery,
    transport_from_url,
)
from survey.models import Draft, Invitation, Response, Round, random_id
from survey.recipients import Report, parse
from survey.respondent import operations as respondent

#: A send that fails temporarily this often is given up (and shown as failed).
MAX_ATTEMPTS = 3
#: How long a sender's claim on a mailing holds without a sign of life.
LEASE = dt.timedelta(minutes=5)


class OperationError(Exception):
    """A request that the round's state does not allow; the message is for the user."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


# Rounds


def create_round(
    db: Session,
    *,
    title: str,
    reference_year: int,
    opens_on: dt.date,
    closes_on: dt.date,
    municipalities: list[str],
    groups: list[str],
    definition: Path = questionnaires.DEFAULT_DEFINITION,
    min_cell_size: int = 5,
) -> Round:
    """A draft round that freezes the questionnaire's canonical definition and fingerprint;
    the file may change afterwards, the round will not. Raises `DefinitionError`."""
    if closes_on < opens_on:
        raise OperationError(_l("The closing date is before the opening date."))
    municipalities = _distinct(municipalities)
    groups = _distinct(groups)
    if not municipalities or not groups:
        raise OperationError(_l("A round needs at least one municipality and one group."))
    _check_lengths(title.strip(), municipalities, groups)
    questionnaire = questionnaires.load(definition)
    _check_groups(questionnaire, groups)
    round_ = Round(
        title=title.strip(),
        questionnaire_id=questionnaire.id,
        definition=questionnaire.canonical_json,
        fingerprint=questionnaire.fingerprint,
        reference_year=reference_year,
        opens_on=opens_on,
        closes_on=closes_on,
        state="draft",
        min_cell_size=min_cell_size,
        municipalities=municipalities,
        groups=groups,
    )
    db.add(round_)
    db.flush()
    for kind, texts in mailtext.DEFAULTS.items():
        db.add(MailTemplate(round_id=round_.id, kind=kind, **texts))
    db.commit()
    return round_


def _check_groups(questionnaire: questionnaires.Questionnaire, groups: list[str]) -> None:
    """A questionnaire that shows questions by group needs group names it knows: a round of
    "Politiker" would never show the elected officials their questions."""
    if not any("group" in v.asked_if.variables for v in questionnaire.variables if v.asked_if):
        return
    for name in groups:
        if group_code(name) is None:
            raise OperationError(_l(
                "The questionnaire shows some questions by group, and %(name)s is not one of "
                "its groups (förtroendevald, medarbetare).", name=name))


def _check_lengths(title: str, municipalities: list[str], groups: list[str]) -> None:
    """Names must fit their columns. SQLite stores any length; PostgreSQL refuses, and a
    municipality or group name reaches a column only at the first import, weeks later."""
    if len(title) > (limit := max_length(Round.title)):
        raise OperationError(_l("The title is longer than %(max)s characters.", max=limit))
    for name in municipalities:
        if len(name) > (limit := max_length(Invitation.municipality)):
            raise OperationError(_l("The municipality name %(name)s is longer than %(max)s "
                                    "characters.", name=name, max=limit))
    for name in groups:
        if len(name) > (limit := max_length(Invitation.group)):
            raise OperationError(_l("The group name %(name)s is longer than %(max)s "
                                    "characters.", name=name, max=limit))


def _distinct(values: list[str]) -> list[str]:
    result: list[str] = []
    for value in (v.strip() for v in values):
        if value and value.casefold() not in {r.casefold() for r in result}:
            result.append(value)
    return result


def open_round(db: Session, round_: Round) -> None:
    """draft -> open. From here on the definition is frozen for good."""
    if round_.state != "draft":
        raise OperationError(_l("Only a draft round can be opened."))
    round_.state = "open"
    db.commit()


def reschedule(db: Session, round_: Round, opens_on: dt.date, closes_on: dt.date) -> None:
    """New dates, e.g. a week more to answer. Only the dates change, never the instrument;
    a closed round has erased its links and cannot take answers again."""
    if round_.state == "closed":
        raise OperationError(_l("A closed round cannot be opened again."))
    if closes_on < opens_on:
        raise OperationError(_l("The closing date is before the opening date."))
    round_.opens_on = opens_on
    round_.closes_on = closes_on
    db.commit()


def erasure_summary(db: Session, round_: Round) -> dict[str, int]:
    """What closing will erase, for the confirmation page and the CLI prompt."""
    addresses = db.scalar(
        select(func.count()).where(Invitation.round_id == round_.id, Invitation.email.is_not(None))
    )
    drafts = db.scalar(select(func.count()).where(Draft.round_id == round_.id))
    return {"addresses": addresses, "drafts": drafts, "outbox_files": len(_outbox_files(round_))}


def close_round(db: Session, round_: Round) -> None:
    """open (or draft) -> closed, irreversibly. Pending submissions become responses; then
    e-mail addresses, token hashes, drafts, the link salt (so links cannot be re-derived) and
    the round's outbox files are erased. Counts per stratum stay for rates and weights.

    The pools of every stratum empty here, however small: a diff of backups around the close
    would pair those few responses with the few invitations they flip. So the invitations
    go, in the same transaction: they become counts per stratum, unit and state
    (`StratumCount`). Per-person mail history goes too: reminders reached only those who
    had not answered, so a delivery row says who answered before which reminder. Deliveries
    become counts per mailing and stratum (`MailTotal`). Every response of the round is
    rewritten in one statement, so on PostgreSQL they all carry this transaction's xmin
    instead of the flush that wrote them."""
    if round_.state == "closed":
        raise OperationError(_l("The round is already closed."))
    respondent.move_pool(db, round_.id, force=True)
    mailings = select(Mailing.id).where(Mailing.round_id == round_.id)
    final_state = case((Delivery.state.in_(("pending", "sending", "failed")), "failed"),
                       else_=Delivery.state)
    totals = (
        select(Delivery.mailing_id, Invitation.municipality, Invitation.group, Invitation.unit,
               final_state, func.count())
        .join(Invitation, Invitation.id == Delivery.invitation_id)
        .where(Delivery.mailing_id.in_(mailings))
        .group_by(Delivery.mailing_id, Invitation.municipality, Invitation.group,
                  Invitation.unit, final_state)
    )
    db.execute(insert(MailTotal).from_select(
        ["mailing_id", "municipality", "group", "unit", "state", "count"], totals))
    db.execute(delete(Delivery).where(Delivery.mailing_id.in_(mailings)))
    stratum = (Invitation.municipality, Invitation.group, Invitation.unit, Invitation.state)
    db.execute(insert(StratumCount).from_select(
        ["round_id", "municipality", "group", "unit", "state", "count"],
        select(Invitation.round_id, *stratum, func.count())
        .where(Invitation.round_id == round_.id)
        .group_by(Invitation.round_id, *stratum)))
    db.execute(delete(Invitation).where(Invitation.round_id == round_.id))
    db.execute(update(Response).where(Response.round_id == round_.id)
               .values(round_id=Response.round_id))
    db.execute(delete(Draft).where(Draft.round_id == round_.id))
    round_.link_salt = None
    round_.state = "closed"
    db.commit()
    _scrub_files(db)
    for folder in [*_outbox_folders(round_), upload_folder(round_)]:
        shutil.rmtree(folder, ignore_errors=True)


def _scrub_files(db: Session) -> None:
    """Erased values stay readable on disk: in SQLite's free space (left by earlier page
    splits) and write-ahead log, in PostgreSQL's dead row versions. Rewrite the affected
    storage from the live rows: VACUUM and a truncating checkpoint on SQLite, VACUUM FULL of
    the erased tables on PostgreSQL. Both need a connection outside any transaction, so this
    is skipped when the caller (a test) holds the session's transaction.
    """
    bind = db.get_bind()
    if not isinstance(bind, Engine):
        return
    if bind.dialect.name == "sqlite":
        raw = bind.raw_connection()
        try:
            raw.driver_connection.execute("VACUUM")
            busy = raw.driver_connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        finally:
            raw.close()
        if busy:
            current_app.logger.warning("The SQLite log could not be truncated after closing a "
                                       "round; it empties at the next checkpoint.")
    elif bind.dialect.name == "postgresql":
        with bind.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            if not _older_transactions_ended(connection):
                current_app.logger.warning(
                    "Transactions older than the close still run; the erased values may stay "
                    "on disk until they end and these tables are vacuumed again: %s",
                    ", ".join(SCRUBBED_TABLES))
            connection.exec_driver_sql(f"VACUUM FULL {', '.join(SCRUBBED_TABLES)}")


#: Tables whose old row versions hold what a close erases (addresses, token hashes, the link
#: salt, drafts, pooled submissions) or betray order (deliveries, the responses' xmin).
SCRUBBED_TABLES = ("invitations", "deliveries", "drafts", "submission_pool", "responses",
                   "rounds")


def _older_transactions_ended(connection) -> bool:
    """Wait (at most `SCRUB_WAIT_SECONDS`) until no transaction that began before now runs.

    VACUUM FULL keeps every row version that a running transaction might still see, and a
    snapshot taken in *any* database of the server holds back the horizon, so an open
    transaction elsewhere would leave the erased rows in the new files.
    """
    deadline = time.monotonic() + current_app.config["SCRUB_WAIT_SECONDS"]
    started = connection.exec_driver_sql("SELECT clock_timestamp()").scalar()
    while True:
        older = connection.exec_driver_sql(
            "SELECT count(*) FROM pg_stat_activity WHERE pid <> pg_backend_pid() "
            "AND (backend_xid IS NOT NULL OR backend_xmin IS NOT NULL) AND xact_start < %s",
            (started,),
        ).scalar()
        if not older:
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.2)


def upload_folder(round_: Round) -> Path:
    """Uploaded lists wait here between preview and confirmation; closing removes them."""
    return Path(current_app.instance_path) / "uploads" / _outbox_key(round_)


def _outbox_folders(round_: Round) -> list[Path]:
    """The round's folder in the configured outbox and in the default one (earlier sends)."""
    default = Path(current_app.instance_path) / "outbox"
    roots = {default}
    transport = transport_from_url(current_app.config["MAIL_URL"], default)
    if isinstance(transport, OutboxTransport):
        roots.add(transport.path)
    return [root / _outbox_key(round_) for root in roots]


def _outbox_files(round_: Round) -> list[Path]:
    return [f for folder in _outbox_folders(round_) if folder.is_dir() for f in folder.rglob("*")
            if f.is_file()]


def _outbox_key(round_: Round) -> str:
    return f"round-{round_.id}"


def _loopback(host: str | None) -> bool:
    return host in (None, "", "localhost", "::1") or host.startswith("127.")


def _answered_meanwhile(db: Session, invitation: Invitation) -> bool:
    """Checked just before each reminder: a resumed or long send must not remind someone
    who answered (or opted out) since the mailing began, even if the answer is pooled."""
    return invitation.state != "invited" or respondent.is_submitted(db, invitation)


# Recipients


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


def import_recipients(db: Session, round_: Round, report: Report) -> int:
    """Store a clean report's recipients as invitations, all or none. Each gets a random id
    and only the keyed hash of its link token."""
    if round_.state == "closed":
        raise OperationError(_l("A closed round takes no more recipients."))
    if not report.ok:
        raise OperationError(_l("The list has problems; correct the file and try again."))
    taken = {e.casefold() for e in existing_emails(db, round_)}
    if any(r.email.casefold() in taken for r in report.recipients):
        raise OperationError(_l("Some addresses were added to the round meanwhile; "
                                "upload the file again to see which."))
    rows = []
    for recipient in report.recipients:
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
    db.commit()
    return len(rows)


# Mail texts


def mail_texts(db: Session, round_: Round, kind: str) -> MailTemplate:
    return db.get(MailTemplate, (round_.id, kind))


def save_mail_texts(db: Session, round_: Round, kind: str, texts: mailtext.Texts) -> None:
    """Replace a round's invitation or reminder text; refused with unknown placeholders or
    without the personal and opt-out links."""
    if round_.state == "closed":
        raise OperationError(_l("A closed round sends no more mail."))
    if mailtext.problems(texts):
        raise OperationError(_l("The text has placeholders that are unknown or missing."))
    template = mail_texts(db, round_, kind)
    for name in ("subject_sv", "subject_en", "body_sv", "body_en"):
        setattr(template, name, getattr(texts, name))
    db.commit()


# Sending


@dataclass
class SendResult:
    sent: int = 0
    failed: int = 0
    bounced: int = 0
    uncertain: int = 0
    remaining: int = 0
    stopped: str | None = None  # why the batch ended early, if it did
    counts: dict[str, int] = field(default_factory=dict)


def next_reminder(db: Session, round_: Round) -> int:
    """The reminder a press of the button works on: the unfinished one, or the next."""
    latest = _latest_reminder(db, round_)
    if latest is None:
        return 1
    return latest.number if _work_left(db, latest) else latest.number + 1


def _latest_reminder(db: Session, round_: Round) -> Mailing | None:
    return db.scalar(
        select(Mailing).where(Mailing.round_id == round_.id, Mailing.kind == "reminder")
        .order_by(Mailing.number.desc()).limit(1)
    )


def start_mailing(db: Session, round_: Round, kind: str, number: int | None = None) -> Mailing:
    """The mailing to work on: the round's invitations, or a reminder. Rerunning resumes an
    unfinished mailing instead of starting another, so a repeated command sends nothing twice.

    Invitations go to every invitation of the round not yet in the invitation mailing (lists
    imported later are included). A reminder goes to invitations that got their invitation,
    have not responded, declined or bounced, and are not waiting in the submission pool.
    Once a reminder is complete, the next one must be asked for by `number`: a repeated
    command or a double click must not remind everyone again.
    """
    if round_.state != "open":
        raise OperationError(_l("Mail can only be sent while the round is open."))
    if kind == "invitation":
        mailing = db.scalar(select(Mailing).where(Mailing.round_id == round_.id,
                                                  Mailing.kind == "invitation"))
        if mailing is None:
            mailing = Mailing(round_id=round_.id, kind="invitation", number=1)
            db.add(mailing)
            db.flush()
        already = select(Delivery.invitation_id).where(Delivery.mailing_id == mailing.id)
        targets = select(Invitation.id).where(
            Invitation.round_id == round_.id, Invitation.id.not_in(already)
        )
        _add_deliveries(db, mailing, db.scalars(targets))
        db.commit()
        return mailing

    latest = _latest_reminder(db, round_)
    if latest is not None and _work_left(db, latest):
        if number not in (None, latest.number):
            raise OperationError(_l("Reminder %(n)s is not finished; send the rest of it first.",
                                    n=latest.number))
        return latest
    wanted = latest.number + 1 if latest else 1
    if latest is not None and number in (None, latest.number):
        raise OperationError(_l("Reminder %(n)s has already been sent. The next one is "
                                "reminder %(next)s.", n=latest.number, next=wanted))
    if number not in (None, wanted):
        raise OperationError(_l("The next reminder is reminder %(next)s.", next=wanted))
    # Pooled submissions are skipped, not flushed: forcing a small pool out would flip a
    # responded flag next to one new response, the pairing the pool exists to hide.
    invited = select(Delivery.invitation_id).join(Mailing).where(
        Mailing.round_id == round_.id, Mailing.kind == "invitation", Delivery.state == "sent"
    )
    pooled = respondent.pooled_invitation_ids(db, round_)
    targets = [
        i for i in db.scalars(
            select(Invitation.id).where(
                Invitation.round_id == round_.id,
                Invitation.state == "invited",
                Invitation.id.in_(invited),
            )
        )
        if i not in pooled
    ]
    mailing = Mailing(round_id=round_.id, kind="reminder", number=wanted)
    db.add(mailing)
    db.flush()
    _add_deliveries(db, mailing, targets)
    db.commit()
    return mailing


def _add_deliveries(db: Session, mailing: Mailing, invitation_ids) -> None:
    rows = [{"mailing_id": mailing.id, "invitation_id": i, "state": "pending", "attempts": 0}
            for i in invitation_ids]
    if rows:
        db.execute(insert(Delivery), rows)


def _sendable(mailing: Mailing, resend_uncertain: bool):
    states = ["pending"] + (["uncertain"] if resend_uncertain else [])
    return (Delivery.mailing_id == mailing.id) & or_(
        Delivery.state.in_(states),
        (Delivery.state == "failed") & (Delivery.attempts < MAX_ATTEMPTS),
    )


def _work_left(db: Session, mailing: Mailing) -> bool:
    return bool(db.scalar(select(func.count()).where(_sendable(mailing, False))))


def _claim(db: Session, mailing: Mailing, owner: str) -> None:
    """Take the mailing for this sender. A claim left by a dead sender expires; its mails
    caught in the middle of their SMTP transaction become uncertain."""
    now = _now()
    claimed = db.execute(
        update(Mailing)
        .execution_options(synchronize_session=False)  # SQLite hands back naive times
        .where(Mailing.id == mailing.id)
        .where(or_(Mailing.lease_until.is_(None), Mailing.lease_until < now))
        .values(lease_owner=owner, lease_until=now + LEASE)
    ).rowcount
    if not claimed:
        db.rollback()
        raise OperationError(_l("Another sender is working on this mailing; try again later."))
    db.execute(
        update(Delivery)
        .where(Delivery.mailing_id == mailing.id, Delivery.state == "sending")
        .values(state="uncertain")
    )
    db.commit()


def _release(db: Session, mailing: Mailing, owner: str) -> None:
    db.rollback()
    db.execute(
        update(Mailing)
        .execution_options(synchronize_session=False)  # SQLite hands back naive times
        .where(Mailing.id == mailing.id, Mailing.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
    )
    db.commit()


def send_mailing(
    db: Session,
    mailing: Mailing,
    *,
    resend_uncertain: bool = False,
    budget: float | None = None,
    progress: Callable[[SendResult], None] | None = None,
) -> SendResult:
    """Send what is left of a mailing over one connection, recording each mail's fate.

    Each mail is marked *sending* (committed) before its SMTP transaction and *sent*, *failed*
    or *bounced* (committed) after it. A dropped connection ends the batch; what was not sent
    stays to send on the next run. If this process dies mid-transaction, the next run finds
    the mail still *sending* and marks it *uncertain*: it may have arrived, so it is not
    resent unless `resend_uncertain` (a person's decision).
    """
    round_ = db.get(Round, mailing.round_id)
    if round_.state != "open":
        raise OperationError(_l("Mail can only be sent while the round is open."))
    transport = transport_from_url(current_app.config["MAIL_URL"],
                                   Path(current_app.instance_path) / "outbox")
    if current_app.config["MAIL_URL"] is None and not current_app.config["MAIL_OUTBOX_ALLOWED"]:
        # The default outbox folder would hold every respondent's link in clear, and nobody
        # asked for it (docs/anonymity.md).
        raise OperationError(_l(
            "Mail would be written to an outbox folder, where whoever reads it can open every "
            "respondent's link. Set PAVERKAN_MAIL_URL to your mail server (smtp://…), or to "
            "outbox:///folder on a test installation."))
    base = current_app.config["BASE_URL"]
    if isinstance(transport, SMTPTransport) and _loopback(urlsplit(base).hostname) and not (
        _loopback(transport.host)
    ):
        # A forgotten PAVERKAN_BASE_URL would waste a whole send-out on dead links.
        raise OperationError(_l(
            "The links in the mails would lead to this computer (%(base)s). Set "
            "PAVERKAN_BASE_URL to the address respondents use, e.g. https://enkat.kommun.se.",
            base=base))
    template = mail_texts(db, round_, mailing.kind)
    texts = mailtext.Texts(template.subject_sv, template.subject_en,
                           template.body_sv, template.body_en)
    owner = secrets.token_hex(16)
    _claim(db, mailing, owner)
    result = SendResult()
    started = time.monotonic()
    try:
        todo = list(db.scalars(
            select(Delivery.invitation_id).where(_sendable(mailing, resend_uncertain))
            .order_by(Delivery.invitation_id)
        ))
        with transport.connect() as connection:
            for position, invitation_id in enumerate(todo):
                invitation = db.get(Invitation, invitation_id)
                if mailing.kind == "reminder" and _answered_meanwhile(db, invitation):
                    db.execute(delete(Delivery).where(Delivery.mailing_id == mailing.id,
                                                      Delivery.invitation_id == invitation_id))
                    db.commit()
                    continue
                if not _mark_sending(db, mailing, invitation_id, owner):
                    continue
                message = _message(round_, invitation, texts)
                key = f"{_outbox_key(round_)}/{mailing.kind}-{mailing.number}/{invitation_id}"
                try:
                    connection.send(message, key)
                except PermanentFailure as error:
                    _record(db, mailing, invitation, "bounced", error.code)
                    result.bounced += 1
                except UncertainDelivery as error:
                    _record(db, mailing, invitation, "uncertain", error.code)
                    result.uncertain += 1
                    result.stopped = str(error)
                except TemporaryFailure as error:
                    _record(db, mailing, invitation, "failed", error.code)
                    result.failed += 1
                    if error.connection_lost:
                        result.stopped = str(error)
                except TransportError:
                    _record(db, mailing, invitation, "pending", None, undo_attempt=True)
                    raise
                else:
                    _record(db, mailing, invitation, "sent", None)
                    result.sent += 1
                if budget is not None and not result.stopped:
                    if time.monotonic() - started > budget:
                        result.stopped = "paused"
                if result.stopped:
                    result.remaining = len(todo) - position - 1
                    break
                if progress is not None:
                    progress(result)
    finally:
        _release(db, mailing, owner)
    result.counts = delivery_counts(db, mailing)
    return result


def _mark_sending(db: Session, mailing: Mailing, invitation_id: str, owner: str) -> bool:
    """Commit that this mail is about to go, and renew the claim: the point of no return."""
    now = _now()
    renewed = db.execute(
        update(Mailing)
        .execution_options(synchronize_session=False)  # SQLite hands back naive times
        .where(Mailing.id == mailing.id, Mailing.lease_owner == owner)
        .values(lease_until=now + LEASE)
    ).rowcount
    if not renewed:
        db.rollback()
        raise OperationError(_l("Another sender took over this mailing."))
    marked = db.execute(
        update(Delivery)
        .where(Delivery.mailing_id == mailing.id, Delivery.invitation_id == invitation_id)
        .where(Delivery.state.in_(("pending", "failed", "uncertain")))
        .values(state="sending", attempts=Delivery.attempts + 1)
    ).rowcount
    db.commit()
    return bool(marked)


def _record(db, mailing, invitation, state, code, undo_attempt=False) -> None:
    values: dict = {"state": state, "last_code": code}
    if undo_attempt:
        values["attempts"] = Delivery.attempts - 1
    db.execute(
        update(Delivery)
        .where(Delivery.mailing_id == mailing.id, Delivery.invitation_id == invitation.id)
        .values(**values)
    )
    if state == "sent":
        invitation.mails_sent += 1
        invitation.last_mail_error = None
    elif state == "bounced":
        invitation.last_mail_error = f"bounced ({code})"
        if invitation.state == "invited":
            invitation.state = "bounced"
    elif state in ("failed", "uncertain"):
        invitation.last_mail_error = f"{state} ({code})" if code else state
    db.commit()


def _message(round_: Round, invitation: Invitation, texts: mailtext.Texts):
    token = tokens.token_for(invitation)
    return mailtext.compose(
        texts,
        sender=current_app.config["MAIL_FROM"],
        to=invitation.email,
        title=round_.title,
        closes_on=round_.closes_on.isoformat(),
        link=external_url("respondent.start", token=token),
        optout=external_url("optout.decline", token=token),
    )


def external_url(endpoint: str, **values) -> str:
    """An absolute URL on `BASE_URL`, without a request (the CLI sends mail too)."""
    base = urlsplit(current_app.config["BASE_URL"])
    adapter = current_app.url_map.bind(base.netloc, script_name=base.path or "/",
                                       url_scheme=base.scheme)
    return adapter.build(endpoint, values, force_external=True)


def delivery_counts(db: Session, mailing: Mailing) -> dict[str, int]:
    """Mails per state: from the deliveries while the round is open, from the totals the
    close kept afterwards."""
    counts: dict[str, int] = defaultdict(int)
    for state, count in db.execute(
        select(Delivery.state, func.count()).where(Delivery.mailing_id == mailing.id)
        .group_by(Delivery.state)
    ):
        counts[state] += count
    for state, count in db.execute(
        select(MailTotal.state, func.sum(MailTotal.count)).where(
            MailTotal.mailing_id == mailing.id).group_by(MailTotal.state)
    ):
        counts[state] += count
    return dict(counts)


def can_decline(invitation: Invitation) -> bool:
    """Only an invitation still waiting, in an open round, can decline."""
    return invitation.state == "invited" and invitation.round.state == "open"


def decline(db: Session, invitation: Invitation) -> bool:
    """The opt-out link: no more reminders."""
    if not can_decline(invitation):
        return False
    invitation.state = "declined"
    db.commit()
    return True


# The dashboard


@dataclass
class StratumRates:
    """One row of the dashboard. Counts are None where they are hidden (small units)."""

    municipality: str
    group: str
    unit: str | None
    invited: int = 0
    responded: int | None = 0
    declined: int | None = 0
    bounced: int | None = 0
    mails_sent: int | None = 0
    mails_failed: int | None = 0

    @property
    def rate(self) -> float | None:
        """AAPOR RR-style: completes / invited."""
        if self.responded is None or not self.invited:
            return None
        return self.responded / self.invited

    def hide(self) -> None:
        self.responded = self.declined = self.bounced = None
        self.mails_sent = self.mails_failed = None


def response_rates(db: Session, round_: Round, by_unit: bool = False) -> list[StratumRates]:
    """Counts per stratum (municipality x group, and unit when asked): never a person.

    An open round counts its invitations; a submission counts only once its stratum's pool
    has flushed. A closed round has no invitations left, only the counts its close kept."""
    unit_column = Invitation.unit if by_unit else None
    keys = [Invitation.municipality, Invitation.group] + ([unit_column] if by_unit else [])
    strata: dict[tuple, StratumRates] = {}

    def stratum(key) -> StratumRates:
        if key not in strata:
            strata[key] = StratumRates(key[0], key[1], key[2] if by_unit else None)
        return strata[key]

    kept = [StratumCount.municipality, StratumCount.group] + (
        [StratumCount.unit] if by_unit else [])
    invitations = (
        select(*keys, Invitation.state, func.count()).where(Invitation.round_id == round_.id)
        .group_by(*keys, Invitation.state)
        .union_all(
            select(*kept, StratumCount.state, func.sum(StratumCount.count))
            .where(StratumCount.round_id == round_.id)
            .group_by(*kept, StratumCount.state)
        )
    )
    for *key, state, count in db.execute(invitations):
        row = stratum(tuple(key))
        row.invited += count
        if state in ("responded", "declined", "bounced"):
            setattr(row, state, getattr(row, state) + count)
    # An open round counts its deliveries, a closed one the totals its close kept.
    mail_totals: dict[tuple, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for *key, state, count in db.execute(
        select(*keys, Delivery.state, func.count())
        .join(Invitation, Invitation.id == Delivery.invitation_id)
        .where(Invitation.round_id == round_.id)
        .group_by(*keys, Delivery.state)
    ):
        mail_totals[tuple(key)][state] += count
    total_keys = [MailTotal.municipality, MailTotal.group] + ([MailTotal.unit] if by_unit else [])
    for *key, state, count in db.execute(
        select(*total_keys, MailTotal.state, func.sum(MailTotal.count))
        .join(Mailing, Mailing.id == MailTotal.mailing_id)
        .where(Mailing.round_id == round_.id)
        .group_by(*total_keys, MailTotal.state)
    ):
        mail_totals[tuple(key)][state] += count
    for key, states in mail_totals.items():
        row = stratum(key)
        row.mails_sent = states.get("sent", 0)
        row.mails_failed = sum(states.get(s, 0) for s in ("failed", "bounced", "uncertain"))
    rows = sorted(strata.values(), key=lambda r: (r.municipality, r.group, r.unit or ""))
    if by_unit:
        _hide_small_units(rows, round_.min_cell_size)
    return rows


def _hide_small_units(rows: list[StratumRates], minimum: int) -> None:
    """A unit of one shows whether that person answered. Within a stratum, hide every unit
    with fewer than `minimum` invited and, when that leaves a single hidden unit, the
    smallest other one as well: the stratum's own row would give the hidden one back by
    subtraction. The invited counts stay (the admin holds the list anyway)."""
    by_stratum: dict[tuple[str, str], list[StratumRates]] = defaultdict(list)
    for row in rows:
        by_stratum[(row.municipality, row.group)].append(row)
    for units in by_stratum.values():
        if len(units) < 2:
            continue
        small = [u for u in units if u.invited < minimum]
        if len(small) == 1:
            others = sorted((u for u in units if u is not small[0]), key=lambda u: u.invited)
            small.append(others[0])
        for unit in small:
            unit.hide()


def mailing_overview(db: Session, round_: Round) -> list[tuple[Mailing, dict[str, int]]]:
    mailings = db.scalars(select(Mailing).where(Mailing.round_id == round_.id)
                          .order_by(Mailing.kind, Mailing.number))
    return [(m, delivery_counts(db, m)) for m in mailings]
