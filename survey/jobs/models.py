"""The `jobs` table: work that takes longer than a web request may (a close, a send-out, an
import, a researcher's microdata export), its progress and who is working on it.

A job names a round and what to do, never a respondent: its counters are totals and its
outcome is the message its page shows. A personal job (an export) names the staff member it
belongs to, who alone may follow it and take its result. `lease_until` is the only time
kept, and only while a worker holds the job: a worker renews it while it runs, so a job
whose lease ran out has lost its worker (killed, restarted) and the next one takes it over.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    JSON,
    CheckConstraint,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Base

JOB_KINDS = ("close", "send", "import", "export")
#: waiting: started, no worker has claimed it yet; running: a worker holds the lease (or
#: held it and died); done and failed are final.
JOB_STATES = ("waiting", "running", "done", "failed")
ACTIVE_STATES = ("waiting", "running")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


SHARED_ACTIVE = f"{_in('state', ACTIVE_STATES)} AND owner_id IS NULL"
PERSONAL_ACTIVE = f"{_in('state', ACTIVE_STATES)} AND owner_id IS NOT NULL"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="job_kind"),
        CheckConstraint(_in("state", JOB_STATES), name="job_state"),
        CheckConstraint("done >= 0", name="job_done"),
        # One unfinished job of a kind per round: a double click or a second admin joins the
        # running job instead of starting another. Personal jobs: one per round, kind and
        # owner, so two researchers' exports of a round never join each other.
        Index("ix_jobs_one_active", "round_id", "kind", unique=True,
              sqlite_where=text(SHARED_ACTIVE), postgresql_where=text(SHARED_ACTIVE)),
        Index("ix_jobs_one_active_per_owner", "round_id", "kind", "owner_id", unique=True,
              sqlite_where=text(PERSONAL_ACTIVE), postgresql_where=text(PERSONAL_ACTIVE)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    #: the staff member a personal job belongs to; None for the round's shared jobs
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    #: what the kind needs besides the round (a mailing, an uploaded file's key)
    arguments: Mapped[dict] = mapped_column(JSON, default=dict)
    state: Mapped[str] = mapped_column(String(8), default="waiting")
    done: Mapped[int] = mapped_column(Integer, default=0)
    total: Mapped[int | None] = mapped_column(Integer)
    #: the message the job's page shows when it ended, in `locale`
    outcome: Mapped[str | None] = mapped_column(Text)
    locale: Mapped[str] = mapped_column(String(5), default="sv")
    lease_owner: Mapped[str | None] = mapped_column(String(32))
    lease_until: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))

    @property
    def finished(self) -> bool:
        return self.state in ("done", "failed")
