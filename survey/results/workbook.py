"""The report workbook of a round, for the download on the results pages and for
`paverkan export report`: the round's published figures (cached, survey/results/figures.py)
handed to ``exports.report_workbook`` with its words from the message catalogue, in the
language the reader reads the results in (survey/results/report_texts.py)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import metadata
from typing import BinaryIO

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from exports import report_workbook
from questionnaires import Change, diff
from survey.instrument import questionnaire_of
from survey.models import Round
from survey.results.figures import figures_of, statistics_version
from survey.results.report_texts import left_out_reason, report_texts


class NothingToReport(ValueError):
    """The round has no figures to publish yet (no responses, or one municipality)."""


@dataclass(frozen=True)
class LeftOut:
    """An earlier round left out of the comparison over time, and why: it is still open (its
    figures change until it closes and are not published), or its questionnaire differs in
    structure (``changes`` says how, worded by survey/results/changes.py), or both."""

    round: Round
    still_open: bool
    changes: tuple[Change, ...]


def earlier_rounds(db: Session, round_: Round) -> tuple[list[Round], list[LeftOut]]:
    """Earlier rounds (by reference year) that are closed and whose questionnaire has the
    same structure (a fingerprint that differs only in wording keeps the data comparable),
    and the earlier rounds left out with the reasons. Drafts, never fielded, are neither."""
    others = db.scalars(select(Round).where(Round.id != round_.id, Round.state != "draft",
                                            Round.reference_year < round_.reference_year)
                        .order_by(Round.reference_year, Round.id))
    comparable, left_out = [], []
    for other in others:
        changes = () if other.fingerprint == round_.fingerprint else (
            diff(questionnaire_of(other), questionnaire_of(round_)).structure)
        still_open = other.state != "closed"
        if changes or still_open:
            left_out.append(LeftOut(other, still_open, tuple(changes)))
        else:
            comparable.append(other)
    return comparable, left_out


def software_version() -> str:
    try:
        version = metadata.version("paverkan")
    except metadata.PackageNotFoundError:
        version = _("unknown")
    return _("Påverkan %(version)s, statistics %(statistics)s", version=version,
             statistics=statistics_version())


def write(db: Session, round_: Round, target: str | BinaryIO, language: str = "sv") -> None:
    """Write the round's report workbook to ``target`` (a path or a binary file), in
    ``language`` ("sv" or "en")."""
    figures = figures_of(db, round_)
    if figures.report is None:
        raise NothingToReport(f"round {round_.id} ({round_.title}) has no figures to report "
                              "yet: it needs responses from at least two municipalities")
    comparable, left_out = earlier_rounds(db, round_)
    earlier = []
    for other in comparable:
        found = figures_of(db, other).report
        if found is not None:
            earlier.append((other.title, other.reference_year, found))
    with force_locale(language):
        info = report_workbook.RoundInfo(
            title=round_.title, reference_year=round_.reference_year,
            extracted_on=figures.extracted_on, fingerprint=round_.fingerprint,
            software_version=software_version(), earlier=earlier,
            not_comparable=[(other.round.title, left_out_reason(other.still_open, other.changes))
                            for other in left_out])
        texts = report_texts(round_, figures.report, language)
    report_workbook.write(target, figures.report, questionnaire_of(round_), info, texts)
