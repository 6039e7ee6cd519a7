"""The report workbook of a round, for the download on the results pages and for
`paverkan export report`: the round's published figures (cached, survey/results/figures.py)
handed to ``exports.report_workbook``."""

from __future__ import annotations

from importlib import metadata
from typing import BinaryIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from exports import report_workbook
from questionnaires import diff
from survey.instrument import questionnaire_of
from survey.models import Round
from survey.results.figures import figures_of, statistics_version


class NothingToReport(ValueError):
    """The round has no figures to publish yet (no responses, or one municipality)."""


def earlier_rounds(db: Session, round_: Round) -> tuple[list[Round], list[tuple[Round, list]]]:
    """Earlier rounds (by reference year) whose questionnaire has the same structure, and
    those that cannot be compared with the structural changes that say why (a fingerprint
    differs only in wording: the data stay comparable)."""
    others = db.scalars(select(Round).where(Round.id != round_.id, Round.state != "draft",
                                            Round.reference_year < round_.reference_year)
                        .order_by(Round.reference_year, Round.id))
    comparable, refused = [], []
    for other in others:
        if other.fingerprint == round_.fingerprint:
            comparable.append(other)
            continue
        changes = diff(questionnaire_of(other), questionnaire_of(round_))
        if changes.structure:
            refused.append((other, list(changes.structure)))
        else:
            comparable.append(other)
    return comparable, refused


def software_version() -> str:
    try:
        version = metadata.version("paverkan")
    except metadata.PackageNotFoundError:
        version = "okänd"
    return f"Påverkan {version}, statistik {statistics_version()}"


def write(db: Session, round_: Round, target: str | BinaryIO) -> None:
    """Write the round's report workbook to ``target`` (a path or a binary file)."""
    figures = figures_of(db, round_)
    if figures.report is None:
        raise NothingToReport(f"round {round_.id} ({round_.title}) has no figures to report "
                              "yet: it needs responses from at least two municipalities")
    comparable, refused = earlier_rounds(db, round_)
    earlier = []
    for other in comparable:
        found = figures_of(db, other).report
        if found is not None:
            earlier.append((other.title, other.reference_year, found))
    info = report_workbook.RoundInfo(
        title=round_.title, reference_year=round_.reference_year,
        extracted_on=figures.extracted_on, fingerprint=round_.fingerprint,
        software_version=software_version(), earlier=earlier,
        not_comparable="; ".join(f"{r.title}: {', '.join(c)}" for r, c in refused))
    report_workbook.write(target, figures.report, questionnaire_of(round_), info)
