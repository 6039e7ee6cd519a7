"""The database schema. Invariants the database can hold are declared here as constraints.

Anonymity shapes this file (docs/anonymity.md): :class:`Response` has no column that could
point at a person or at an invitation, no time at all, and a random primary key;
on SQLite every table whose row order could betray who answered when is created
``WITHOUT ROWID``, so rows are stored in the order of their random keys.
"""

from __future__ import annotations

import datetime as dt
import secrets

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    select,
)
from sqlalchemy.orm import Mapped, Session, mapped_column, relationship

from survey.db import Base

ROUND_STATES = ("draft", "open", "closed")
INVITATION_STATES = ("invited", "responded", "declined", "bounced")
ROLES = ("admin", "chief", "researcher")

#: SQLite keeps rows in rowid order, i.e. insertion order, unless told otherwise.
WITHOUT_ROWID = {"sqlite_with_rowid": False}


def random_id() -> str:
    """16 random bytes as hex: a key that says nothing about when the row was written."""
    return secrets.token_hex(16)


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Round(Base):
    """One fielding of one questionnaire, with its frozen definition.

    ``link_salt`` together with the instance secret derives every invitation's link
    (:func:`survey.tokens.token_for`), so reminders carry the same link; erasing it at close
    makes the links underivable even for someone who holds the secret.
    """

    __tablename__ = "rounds"
    __table_args__ = (
        CheckConstraint(_in("state", ROUND_STATES), name="round_state"),
        CheckConstraint("min_cell_size >= 1", name="round_min_cell_size"),
        CheckConstraint("closes_on >= opens_on", name="round_dates"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    questionnaire_id: Mapped[str] = mapped_column(String(100))
    definition: Mapped[str] = mapped_column(Text)
    fingerprint: Mapped[str] = mapped_column(String(64))
    reference_year: Mapped[int] = mapped_column(Integer)
    election_year: Mapped[bool] = mapped_column(default=False)
    opens_on: Mapped[dt.date] = mapped_column(Date)
    closes_on: Mapped[dt.date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="draft")
    min_cell_size: Mapped[int] = mapped_column(Integer, default=5)
    municipalities: Mapped[list[str]] = mapped_column(JSON)
    groups: Mapped[list[str]] = mapped_column(JSON)
    link_salt: Mapped[str | None] = mapped_column(String(64), default=lambda: secrets.token_hex(32))
    # Who runs the round, as mails and the respondent's pages name them (never stored with
    # a response). Empty: the municipalities' names and the instance's PAVERKAN_MAIL_FROM.
    organisation: Mapped[str | None] = mapped_column(String(300))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(320))
    contact_phone: Mapped[str | None] = mapped_column(String(50))
    sender_address: Mapped[str | None] = mapped_column(String(320))
    #: Where to turn for support, shown on the start and thanks pages and after a reported
    #: incident; empty: the default text (see survey/respondent/support.py).
    support_sv: Mapped[str | None] = mapped_column(Text)
    support_en: Mapped[str | None] = mapped_column(Text)

    invitations: Mapped[list[Invitation]] = relationship(back_populates="round")

    def is_open_on(self, day: dt.date) -> bool:
        return self.state == "open" and self.opens_on <= day <= self.closes_on


def lock_round(db: Session, round_id: int, *, shared: bool) -> None:
    """Hold the round's row until the transaction ends, and forget what was read before.

    A close holds it exclusively; writes that must not cross a close (a submit, an import)
    hold it shared, so each either commits before the close reads the round or, having
    waited, sees the round closed. On PostgreSQL this is ``FOR NO KEY UPDATE`` / ``FOR
    SHARE``: rows that merely refer to the round (a respondent's session, a job) are
    inserted without waiting, since a close deleting such rows while their writer waits
    for the round would deadlock. SQLite runs one writing transaction at a time anyway.
    """
    lock = {"read": True} if shared else {"key_share": True}
    db.execute(select(Round.id).where(Round.id == round_id).with_for_update(**lock))
    db.expire_all()


class Invitation(Base):
    """One invited person. Nothing here changes when they answer, until a pool flush."""

    __tablename__ = "invitations"
    __table_args__ = (
        CheckConstraint(_in("state", INVITATION_STATES), name="invitation_state"),
        CheckConstraint("mails_sent >= 0", name="invitation_mails_sent"),
        UniqueConstraint("round_id", "email", name="invitation_round_email"),
        UniqueConstraint("token_hash", name="invitation_token_hash"),
        WITHOUT_ROWID,
    )

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    #: erased with the whole row when the round closes (counts per stratum stay).
    email: Mapped[str | None] = mapped_column(String(320))
    municipality: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(200))
    #: keyed hash of the link's token (:func:`survey.tokens.token_hash`); erased at close.
    token_hash: Mapped[str | None] = mapped_column(String(64))
    #: goes into the token; a corrected address counts it up, retiring the link mailed to
    #: the old one (the pool marker stays the invitation's, so an answer stays answered).
    link_generation: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    state: Mapped[str] = mapped_column(String(10), default="invited")
    mails_sent: Mapped[int] = mapped_column(Integer, default=0)
    last_mail_error: Mapped[str | None] = mapped_column(Text)

    round: Mapped[Round] = relationship(back_populates="invitations")


class Response(Base):
    """A submitted answer set. Deliberately no link back: no invitation id and no time at
    all, not even a day (a day read next to who was reminded when names the author; the
    round's dates are the only time kept)."""

    __tablename__ = "responses"
    __table_args__ = (WITHOUT_ROWID,)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    fingerprint: Mapped[str] = mapped_column(String(64))
    municipality: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(200))
    answers: Mapped[dict] = mapped_column(JSON)


class PooledSubmission(Base):
    """A submission waiting to become a :class:`Response` together with others.

    ``marker`` is a keyed hash of the invitation id: it makes a second submit fail on a unique
    constraint. ``sealed_invitation`` is the invitation id encrypted with the round's link key,
    so a flush finds its invitations directly. ``sealed_content`` holds the stratum and the
    answers, encrypted the same way: in clear, a backup of the pool would say which stratum
    answered what, to within the backup interval. Nothing here reveals anything without the
    instance secret and the round's salt (erased at close).
    """

    __tablename__ = "submission_pool"
    __table_args__ = (UniqueConstraint("marker", name="pool_marker"), WITHOUT_ROWID)

    id: Mapped[str] = mapped_column(String(32), primary_key=True, default=random_id)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    marker: Mapped[str] = mapped_column(String(64))
    fingerprint: Mapped[str] = mapped_column(String(64))
    sealed_invitation: Mapped[bytes] = mapped_column(LargeBinary)
    sealed_content: Mapped[bytes] = mapped_column(LargeBinary)


class Draft(Base):
    """Answers in progress, readable only with the respondent's link.

    The key is derived from the token, not the invitation id, and the content is encrypted
    with another key derived from the token (:mod:`survey.tokens`).
    """

    __tablename__ = "drafts"
    __table_args__ = (WITHOUT_ROWID,)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)


class ServerSession(Base):
    """A browser session kept on the server so that it can be ended.

    Keyed by a hash of the cookie value and encrypted with a key derived from it: the table
    alone tells nobody whose session a row is or what it holds. Expiry is a date, not a time.
    """

    __tablename__ = "sessions"
    __table_args__ = (WITHOUT_ROWID,)

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary)
    expires_on: Mapped[dt.date] = mapped_column(Date, index=True)
    #: a respondent's round (closing it deletes the session); None for staff.
    round_id: Mapped[int | None] = mapped_column(ForeignKey("rounds.id"), index=True)


class User(Base):
    """A login for the people who run the study, never for respondents."""

    __tablename__ = "users"
    __table_args__ = (CheckConstraint(_in("role", ROLES), name="user_role"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(12))
    active: Mapped[bool] = mapped_column(default=True)


class LoginAttempts(Base):
    """How many logins were tried in the current window, per account, per client address and
    per pair of them (:mod:`survey.auth.throttle`). Keys are keyed hashes, so the table names
    neither an address nor a client; rows of past windows are deleted by the next login."""

    __tablename__ = "login_attempts"
    __table_args__ = (CheckConstraint("attempts >= 1", name="login_attempts_attempts"),)

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    #: the keyed hash of the account's address on its account and pair rows, so a new
    #: password can lift their locks; empty on a client's own row.
    account: Mapped[str | None] = mapped_column(String(64), index=True)
    attempts: Mapped[int] = mapped_column(Integer)
    #: Unix seconds: when the window opened.
    window_start: Mapped[int] = mapped_column(Integer)
