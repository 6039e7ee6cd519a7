"""The `jobs` table: work that takes longer than a web request may (a close, a send-out, an
import), its progress and who is working on it.

A job names a round and what to do, never a person: its counters are totals and its outcome
is the message its page shows. `lease_until` is the only time kept, and only while a worker
holds the job: a worker renews it while it runs, so a job whose lease ran out has lost its
worker (killed, restarted) and the next one takes it over.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, CheckConstraint, DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Base

JOB_KINDS = ("close", "send", "import")
#: waiting: started, no worker has claimed it yet; running: a worker holds the lease (or
#: held it and died); done and failed are final.
JOB_STATES = ("waiting", "running", "done", "failed")
ACTIVE_STATES = ("waiting", "running")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN ({', '.join(repr(v) for v in values)})"


class Job(Base):
    __tablename__ = "jobs"
    __table_args__ = (
        CheckConstraint(_in("kind", JOB_KINDS), name="job_kind"),
        CheckConstraint(_in("state", JOB_STATES), name="job_state"),
        CheckConstraint("done >= 0", name="job_done"),
        # One unfinished job of a kind per round: a double click or a second admin joins the
        # running job instead of starting another.
        Index("ix_jobs_one_active", "round_id", "kind", unique=True,
              sqlite_where=_in("state", ACTIVE_STATES),
              postgresql_where=_in("state", ACTIVE_STATES)),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
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
