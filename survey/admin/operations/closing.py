"""Closing a round: the irreversible erasure of everything that could name a respondent."""

from __future__ import annotations

import datetime as dt
import shutil
import time

from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy import Engine, case, delete, func, insert, select
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from survey.admin.models import Delivery, Mailing, MailTotal, StratumCount
from survey.admin.operations.common import (
    OperationError,
    Progress,
    outbox_files,
    outbox_folders,
    unreported,
    upload_folder,
)
from survey.models import Draft, Invitation, Response, Round, ServerSession, lock_round
from survey.respondent import operations as respondent


def erasure_summary(db: Session, round_: Round) -> dict[str, int]:
    """What closing will erase, for the confirmation page and the CLI prompt."""
    addresses = db.scalar(
        select(func.count()).where(Invitation.round_id == round_.id, Invitation.email.is_not(None))
    )
    drafts = db.scalar(select(func.count()).where(Draft.round_id == round_.id))
    return {"addresses": addresses, "drafts": drafts, "outbox_files": len(outbox_files(round_))}


def close_round(db: Session, round_: Round, progress: Progress | None = None) -> bool:
    """open (or draft) -> closed, irreversibly. Pending submissions become responses; then
    e-mail addresses, token hashes, drafts, the link salt (so links cannot be re-derived) and
    the round's outbox files are erased. Counts per stratum stay for rates and weights.

    The pools of every stratum empty here, however small: a diff of backups around the close
    would pair those few responses with the few invitations they flip. So the invitations
    go, in the same transaction: they become counts per stratum, unit and state
    (`StratumCount`). Per-person mail history goes too: reminders skipped those whose answers
    were flushed, so a delivery row says whose batch came before which reminder. Deliveries
    become counts per mailing and stratum (`MailTotal`). Every response of the round is
    written again (:func:`_rewrite_in_id_order`), and every respondent's session ends.

    Submits arriving meanwhile: the transaction holds the round's row lock from its first
    statement to its commit, and a submit holds it shared (`respondent.submit`), so a submit
    either commits before the close reads the pool or finds the round closed; none is left
    in a pool whose key is erased.

    Runs again to the end: a close stopped after its commit (a killed worker) leaves a closed
    round whose files may still hold the erased values, so on a closed round only the scrub
    runs. Returns False then.
    """
    progress = progress or unreported
    progress(0, 3)
    closing = _close_in_one_transaction(db, round_)
    progress(1)
    _scrub_files(db)
    progress(2)
    for folder in [*outbox_folders(round_), upload_folder(round_)]:
        shutil.rmtree(folder, ignore_errors=True)
    progress(3)
    return closing


#: PostgreSQL's codes for a transaction it aborted to resolve a conflict: run it again.
RETRYABLE = {"40P01", "40001"}  # deadlock detected, serialization failure


def _close_in_one_transaction(db: Session, round_: Round, attempts: int = 5) -> bool:
    """The close's transaction, run again when PostgreSQL aborts it in a deadlock (a
    respondent's request holding their session row while it waits for the round)."""
    for attempt in range(1, attempts + 1):
        try:
            closing = _lock_unclosed(db, round_)
            if closing:
                _erase(db, round_)
                db.commit()
            return closing
        except DBAPIError as error:
            db.rollback()
            if getattr(error.orig, "sqlstate", None) not in RETRYABLE or attempt == attempts:
                raise
    return False  # attempts < 1: nothing was tried


def _lock_unclosed(db: Session, round_: Round) -> bool:
    """Take the round's row lock and say whether it still needs closing; refused while a
    sender holds one of its mailings (it would mail links the close erases)."""
    lock_round(db, round_.id, shared=False)
    if round_.state == "closed":
        db.rollback()
        return False
    sending = db.scalar(select(func.count()).where(
        Mailing.round_id == round_.id, Mailing.lease_until > dt.datetime.now(dt.UTC)))
    if sending:
        db.rollback()
        raise OperationError(_l("Mail is being sent for this round. Close it when the send "
                                "has finished or stopped."))
    return True


def _erase(db: Session, round_: Round) -> None:
    """The close's one transaction (see `close_round`), not committed."""
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
    _rewrite_in_id_order(db, round_.id)
    db.execute(delete(Draft).where(Draft.round_id == round_.id))
    # Respondents' session rows, as versions before sealed session cookies wrote them: their
    # expiry dates would keep visits and submits per day.
    db.execute(delete(ServerSession).where(ServerSession.round_id == round_.id))
    round_.link_salt = None
    round_.state = "closed"


def _rewrite_in_id_order(db: Session, round_id: int) -> None:
    """Delete the round's responses and insert them again in the order of their random ids.

    On PostgreSQL they then all carry this transaction's xmin instead of the flush that
    wrote them, and (after :func:`_scrub_files` clusters the table by id) the heap holds
    them in id order instead of batches in order of arrival, the close's batch of last
    submitters at the end. SQLite stores them by key (WITHOUT ROWID) either way.
    """
    table = Response.__table__
    rows = [dict(row) for row in db.execute(
        select(table).where(table.c.round_id == round_id).order_by(table.c.id)).mappings()]
    db.execute(delete(table).where(table.c.round_id == round_id))
    if rows:
        db.execute(insert(table), rows)


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
            truncated = _truncate_log(raw.driver_connection)
        finally:
            raw.close()
        if not truncated:
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
            # VACUUM FULL copies rows in physical order: a response inserted into a gap an
            # earlier flush left would keep its place. CLUSTER sorts the heap by random id.
            connection.exec_driver_sql("CLUSTER responses USING responses_pkey")


def _truncate_log(connection) -> bool:
    """Copy SQLite's write-ahead log into the file and empty it, waiting (at most
    `SCRUB_WAIT_SECONDS`) for readers of older snapshots (a backup) to finish.

    A truncating checkpoint blocks every writer of the site while it waits, so it waits
    a moment at a time (`CHECKPOINT_PATIENCE`), and lets the writers through in between."""
    deadline = time.monotonic() + current_app.config["SCRUB_WAIT_SECONDS"]
    patience = connection.execute("PRAGMA busy_timeout").fetchone()[0]
    connection.execute(f"PRAGMA busy_timeout = {CHECKPOINT_PATIENCE_MS}")
    try:
        while connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]:
            if time.monotonic() > deadline:
                return False
            time.sleep(1)
        return True
    finally:
        connection.execute(f"PRAGMA busy_timeout = {int(patience)}")


#: How long one attempt of the close's checkpoint may hold the site's writers back.
CHECKPOINT_PATIENCE_MS = 200

#: Tables whose old row versions hold what a close erases (addresses, token hashes, the link
#: salt, drafts, pooled submissions) or betray order (deliveries, the responses' xmin).
SCRUBBED_TABLES = ("invitations", "deliveries", "drafts", "submission_pool", "responses",
                   "rounds", "sessions")


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
