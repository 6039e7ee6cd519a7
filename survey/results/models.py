"""The export log: who took which round's microdata out, in which format, with free text or not.

It holds no figures and no answers, and a date without a time: what an auditor needs to know
who has a copy, and nothing that could be read next to the responses.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from survey.db import Base

EXPORT_FORMATS = ("csv", "xlsx", "sav", "dta")


class ExportRecord(Base):
    __tablename__ = "export_log"
    __table_args__ = (
        CheckConstraint("format IN ('csv', 'xlsx', 'sav', 'dta')", name="export_log_format"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    #: the staff member's e-mail, or "CLI (user)": kept even when the account is deleted
    who: Mapped[str] = mapped_column(String(320))
    exported_on: Mapped[dt.date] = mapped_column(Date)
    round_id: Mapped[int] = mapped_column(ForeignKey("rounds.id"), index=True)
    format: Mapped[str] = mapped_column(String(4))
    free_text: Mapped[bool] = mapped_column(default=False)
