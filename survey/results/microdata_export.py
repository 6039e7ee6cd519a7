"""Taking a round's microdata out: the one function the researcher page and the CLI call.

Only a closed round exports. While a round is open, two exports a day apart would differ by
the responses that arrived in between, and next to the reminder dates that narrows who
wrote them; once it is closed the set no longer changes. Every export is logged
(:class:`~survey.results.models.ExportRecord`): who, the date, round, format, free text or
not; never a figure or an answer.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from exports import microdata, writers
from survey import round_data
from survey.models import Round
from survey.results.models import ExportRecord

#: What an export reports to its ``progress``: the data read and masked, the file written.
EXPORT_STEPS = 2


class ExportRefused(Exception):
    """An export the rules do not allow; ``message`` is translated where it is shown."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def exportable_rounds(db: Session) -> list[Round]:
    """Closed rounds, newest first."""
    return list(db.scalars(select(Round).where(Round.state == "closed")
                           .order_by(Round.closes_on.desc(), Round.id.desc())))


def prepare(db: Session, round_: Round, *, lang: str = "sv", free_text: bool = False,
            names: Iterable[str] = ()) -> microdata.Microdata:
    """The round's microdata, with free text masked when asked for (nothing is logged: this
    is what the researcher sees before deciding)."""
    if round_.state != "closed":
        raise ExportRefused(_l("Microdata can be exported once the round is closed: while it "
                               "is open, two exports would show which responses came in "
                               "between them."))
    data = round_data.read(db, round_, with_unit=True)
    return microdata.prepare(data.responses, data.invited, data.questionnaire,
                             title=round_.title, min_cell=data.min_cell,
                             year=round_.reference_year, lang=lang, free_text=free_text,
                             names=names)


def export(db: Session, round_: Round, *, who: str, file_format: str, path: Path,
           lang: str = "sv", free_text: bool = False, names: Iterable[str] = (),
           progress: Callable[[int, int], None] = lambda done, total: None,
           written: Callable[[microdata.Microdata], None] = lambda prepared: None,
           ) -> microdata.Microdata:
    """Write the round's microdata to ``path`` and log the export (committed).

    ``progress(done, total)`` hears of the steps (read, written); ``written`` is called once
    the file is complete, before the log's commit, so that a job can mark itself done in
    the log's transaction and a rerun never logs one export twice.
    """
    progress(0, EXPORT_STEPS)
    prepared = prepare(db, round_, lang=lang, free_text=free_text, names=names)
    progress(1, EXPORT_STEPS)
    writers.write(prepared, file_format, path)
    progress(2, EXPORT_STEPS)
    db.add(ExportRecord(who=who, exported_on=dt.date.today(), round_id=round_.id,
                        format=file_format, free_text=free_text))
    written(prepared)
    db.commit()
    return prepared


def export_log(db: Session) -> list[tuple[ExportRecord, Round]]:
    """Every logged export, newest first."""
    rows = db.execute(select(ExportRecord, Round).join(Round, Round.id == ExportRecord.round_id)
                      .order_by(ExportRecord.exported_on.desc(), ExportRecord.id.desc()))
    return [(record, round_) for record, round_ in rows]
