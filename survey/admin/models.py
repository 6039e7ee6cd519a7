"""Tables of the administration: per-round mail texts and the send queue.

The send queue is what makes sending exactly-once across crashes, dropped connections and
several app servers: every mail is a `Delivery` row whose state is committed before and after
its SMTP transaction, and a mailing is worked on by one sender at a time (a lease).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    CheckConstraint,
    DateTime,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Base
from survey.models import WITHOUT_ROWID

MAIL_KINDS = ("invitation", "reminder")
#: pending: to send; sending: handed to a sender (committed before the SMTP transaction);
#: sent; failed: temporary failure, retried; bounced: permanent failure; uncertain: the
#: sender died or the connection broke while the server held the mail -- never resent
#: without a person deciding to.
DELIVERY_STATES = ("pending", "sending", "sent", "failed", "bounced", "uncertain")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class MailTemplate(Base):
    """The text of a round's invitation or reminder, Swedish and English, editable per round."""

    __tablename__ = "mail_templates"
    __table_args__ = (CheckConstraint(_in("kind", MAIL_KINDS), name="mail_template_kind"),)

    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    subject_sv: Mapped[str] = mapped_column(String(200))
    subject_en: Mapped[str] = mapped_column(String(200))
    body_sv: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)


class Mailing(Base):
    """One send-out: the invitations, or reminder number n."""

    __tablename__ = "mailings"
    __table_args__ = (
        CheckConstraint(_in("kind", MAIL_KINDS), name="mailing_kind"),
        CheckConstraint("number >= 1", name="mailing_number"),
        UniqueConstraint("round_id", "kind", "number", name="mailing_round_kind_number"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    kind: Mapped[str] = mapped_column(String(12))
    number: Mapped[int] = mapped_column(Integer)
    #: the sender currently working on this mailing, and until when its claim holds
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))


class Delivery(Base):
    """One mail to one invitation within a mailing. Holds no address and no reply text."""

    __tablename__ = "deliveries"
    __table_args__ = (
        CheckConstraint(_in("state", DELIVERY_STATES), name="delivery_state"),
        CheckConstraint("attempts >= 0", name="delivery_attempts"),
        WITHOUT_ROWID,
    )

    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id"), primary_key=True)
    invitation_id: Mapped[str] = mapped_column(
        ForeignKey("invitations.id"), primary_key=True, index=True
    )
    state: Mapped[str] = mapped_column(String(10), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    #: the SMTP reply code of the last failure (never the reply text: it names the address)
    last_code: Mapped[int | None] = mapped_column(Integer)


class _CountPerStratum:
    """A count of rows in one state, per stratum and unit: what a closed round keeps instead
    of per-person rows."""

    municipality: Mapped[str] = mapped_column(String(100))
    group: Mapped[str] = mapped_column(String(100))
    unit: Mapped[str | None] = mapped_column(String(200))
    state: Mapped[str] = mapped_column(String(10))
    count: Mapped[int] = mapped_column(Integer)


class MailTotal(_CountPerStratum, Base):
    """How many mails of a mailing ended in each state, per stratum: what a closed round keeps
    of its deliveries. A delivery row says which person got which reminder, i.e. who had not
    answered by then, so closing aggregates them here and deletes them."""

    __tablename__ = "mail_totals"
    __table_args__ = (CheckConstraint("count >= 0", name="mail_total_count"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    mailing_id: Mapped[int] = mapped_column(ForeignKey("mailings.id"), index=True)


class StratumCount(_CountPerStratum, Base):
    """What a closed round keeps of its invitations: how many per stratum (and unit) ended in
    each state. The close flushes the last, smaller-than-K pools of each stratum; with the
    invitation rows still there, a backup diff would pair those few responses with the few
    invitations that flipped. So closing deletes the rows and keeps these counts for the
    dashboard and the weights."""

    __tablename__ = "stratum_counts"
    __table_args__ = (CheckConstraint("count >= 0", name="stratum_count_count"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
