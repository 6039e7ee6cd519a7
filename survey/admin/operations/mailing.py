"""Mail to a round's recipients: texts, mailings (invitation, reminders) and sending.

Two promises live here. Sending is exactly-once: every mail is a `Delivery` whose state is
committed before and after its SMTP transaction, so a rerun after a crash or a dropped
connection sends each remaining mail once and none twice (a mail whose fate is unknown is
marked *uncertain* and is only resent when a person says so). And nobody sees who has
answered: reminders are chosen inside `start_mailing`, and every count leaves this package
aggregated per stratum.
"""

from __future__ import annotations

import datetime as dt
import secrets
import time
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from survey import tokens
from survey.admin import mailtext
from survey.admin.models import Delivery, Mailing, MailTemplate, MailTotal
from survey.admin.operations.common import (
    OperationError,
    Progress,
    outbox_key,
    unreported,
)
from survey.instrument import minutes
from survey.mail import (
    PermanentFailure,
    SMTPTransport,
    TemporaryFailure,
    TransportError,
    UncertainDelivery,
    transport_from_url,
)
from survey.models import Invitation, Round
from survey.respondent import operations as respondent

#: A send that fails temporarily this often is given up (and shown as failed).
MAX_ATTEMPTS = 3
#: How long a sender's claim on a mailing holds without a sign of life.
LEASE = dt.timedelta(minutes=5)


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


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
    imported later are included). A reminder goes to invitations that got their invitation
    and have not responded (been flushed), declined or bounced: pooled ones included.
    Once a reminder is complete, the next one must be asked for by `number`: a repeated
    command or a double click must not remind everyone again.
    """
    if round_.state != "open":
        raise OperationError(_l("Mail can only be sent while the round is open."))
    if dt.date.today() < round_.opens_on:
        # The links would lead to "not open yet" for weeks, and the mail would be forgotten.
        raise OperationError(_l(
            "The round opens on %(date)s: mail can be sent from that day. To send now, "
            "change the opening date to today first.", date=round_.opens_on.isoformat()))
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
    # Pooled submissions are reminded like everyone not yet flushed: skipping them would make
    # each reminder's deliveries a list of who had submitted (docs/anonymity.md). Strata that
    # hold a whole batch are flushed first, as the flush timer would.
    respondent.flush_pool(db, round_.id)
    targets = _reminder_targets(db, round_)
    mailing = Mailing(round_id=round_.id, kind="reminder", number=wanted)
    db.add(mailing)
    db.flush()
    _add_deliveries(db, mailing, targets)
    db.commit()
    return mailing


def _reminder_targets(db: Session, round_: Round) -> list[str]:
    """Who a new reminder goes to: invitations that got their invitation and have not
    responded (as far as flushed batches tell), declined or bounced."""
    invited = select(Delivery.invitation_id).join(Mailing).where(
        Mailing.round_id == round_.id, Mailing.kind == "invitation", Delivery.state == "sent"
    )
    return list(db.scalars(
        select(Invitation.id).where(
            Invitation.round_id == round_.id,
            Invitation.state == "invited",
            Invitation.id.in_(invited),
        )
    ))


def mail_count(db: Session, round_: Round, kind: str) -> int:
    """How many mails a press of the send button would send (the confirmation states it;
    a reminder may go to a few fewer if a stratum's batch flushes meanwhile)."""
    if kind == "invitation":
        mailing = db.scalar(select(Mailing).where(Mailing.round_id == round_.id,
                                                  Mailing.kind == "invitation"))
        if mailing is None:
            return db.scalar(select(func.count()).where(Invitation.round_id == round_.id))
        already = select(Delivery.invitation_id).where(Delivery.mailing_id == mailing.id)
        return _to_send(db, mailing) + db.scalar(select(func.count()).where(
            Invitation.round_id == round_.id, Invitation.id.not_in(already)))
    latest = _latest_reminder(db, round_)
    if latest is not None and _work_left(db, latest):
        return _to_send(db, latest)
    return len(_reminder_targets(db, round_))


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


def _to_send(db: Session, mailing: Mailing) -> int:
    return db.scalar(select(func.count()).where(_sendable(mailing, False)))


def _work_left(db: Session, mailing: Mailing) -> bool:
    return bool(_to_send(db, mailing))


class MailingBusy(OperationError):
    """Another sender holds the mailing, or held it and died (its claim runs out after
    `LEASE`)."""


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
        raise MailingBusy(_l("Another sender is working on this mailing; try again later."))
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
    progress: Progress | None = None,
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
        progress = progress or unreported
        progress(0, len(todo))
        with transport.connect() as connection:
            for position, invitation_id in enumerate(todo):
                progress(position)
                invitation = db.get(Invitation, invitation_id)
                if invitation is None:  # the round closed meanwhile
                    result.stopped = "closed"
                    result.remaining = len(todo) - position
                    break
                if mailing.kind == "reminder" and _answered_meanwhile(invitation):
                    db.execute(delete(Delivery).where(Delivery.mailing_id == mailing.id,
                                                      Delivery.invitation_id == invitation_id))
                    db.commit()
                    continue
                if not _mark_sending(db, mailing, invitation_id, owner):
                    continue
                message = _message(round_, invitation, texts)
                key = f"{outbox_key(round_)}/{mailing.kind}-{mailing.number}/{invitation_id}"
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
        identity=mailtext.identity_of(round_, current_app.config["MAIL_FROM"], minutes(round_)),
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


def _loopback(host: str | None) -> bool:
    return host in (None, "", "localhost", "::1") or host.startswith("127.")


def _answered_meanwhile(invitation: Invitation) -> bool:
    """Checked just before each reminder: a resumed or long send must not remind someone
    whose answer was flushed (or who opted out or bounced) since the mailing began. A pooled
    answer does not count: which reminders a pooled person missed would date their submit."""
    return invitation.state != "invited"


def mailing_overview(db: Session, round_: Round) -> list[tuple[Mailing, dict[str, int]]]:
    mailings = db.scalars(select(Mailing).where(Mailing.round_id == round_.id)
                          .order_by(Mailing.kind, Mailing.number))
    return [(m, delivery_counts(db, m)) for m in mailings]
