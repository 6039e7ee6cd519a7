"""`paverkan export ...`: files made from a round's data, the same as the pages offer."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from survey import db
from survey.commands.round import find_round


@click.group(cls=AppGroup, help="Export a round's figures or data to files.")
def export() -> None:
    pass


@export.command(help="Write the report workbook (.xlsx) of a round: the published figures, "
                     "as on the results pages.")
@click.option("--round", "reference", required=True, help="The round's id or exact title.")
@click.option("--out", "output", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Where to write it (default paverkan-rapport-YEAR-ID.xlsx).")
def report(reference: str, output: Path | None) -> None:
    from survey.results import workbook

    round_ = find_round(reference)
    output = output or Path(f"paverkan-rapport-{round_.reference_year}-{round_.id}.xlsx")
    try:
        with output.open("wb") as handle:
            workbook.write(db.session(), round_, handle)
    except workbook.NothingToReport as problem:
        output.unlink(missing_ok=True)
        raise click.ClickException(str(problem)) from None
    except OSError as error:
        raise click.ClickException(f"{output}: cannot write: {error.strerror or error}") from None
    click.echo(f"{output}: report workbook of {round_.title}")
