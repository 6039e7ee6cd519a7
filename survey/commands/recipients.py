"""`paverkan recipients import FILE --round R [--sheet S] [--yes]`: preview, then store;
`correct` and `remove` change one recipient."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from survey import db
from survey.admin import operations
from survey.commands.jobs import run_job
from survey.commands.round import english, fail, find_round
from survey.recipients import RecipientFileError


@click.group(cls=AppGroup, help="Import recipient lists into a round.")
def recipients() -> None:
    pass


@recipients.command("import", help="Check a CSV or XLSX list and, when it is clean and "
                                   "confirmed, add it to the round.")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--round", "reference", required=True, help="Round id or title.")
@click.option("--sheet", help="Worksheet of an .xlsx file (default: the first).")
@click.option("--yes", is_flag=True, help="Import without asking when the list is clean.")
def import_(file: Path, reference: str, sheet: str | None, yes: bool) -> None:
    round_ = find_round(reference)
    try:
        report = operations.preview_import(db.session(), round_, file.read_bytes(), file.name,
                                           sheet)
    except RecipientFileError as problem:
        fail(problem)
    if report.sheet:
        click.echo(f"Sheet {report.sheet!r} of {', '.join(report.sheets)}.")
    click.echo(f"{len(report.recipients)} recipients can be imported:")
    for (municipality, group, unit), count in report.strata.items():
        click.echo(f"  {municipality}\t{group}\t{unit or '–'}\t{count}")
    if report.empty_rows:
        click.echo(f"Empty rows skipped: {', '.join(map(str, report.empty_rows))}")
    if report.ignored_columns:
        click.echo(f"Columns not used: {', '.join(report.ignored_columns)}")
    if report.already_in_round:
        rows = ", ".join(str(row) for row, _email in report.already_in_round)
        click.echo(f"{len(report.already_in_round)} already in the round, skipped (rows {rows})")
    if report.problems:
        click.echo(f"{len(report.problems)} problems (row numbers as in Excel):", err=True)
        for p in report.problems:
            first = f" (first on row {p.first_row})" if p.first_row else ""
            click.echo(f"  row {p.row}: {english(p.message)}{first}: {p.value}", err=True)
        raise click.ClickException("Nothing was imported. Correct the file and run again.")
    if not report.recipients:
        raise click.ClickException("The file has no recipients.")
    if not yes:
        click.confirm(f"Import {len(report.recipients)} recipients?", abort=True)
    job = run_job("import", round_, sheet=sheet,
                  upload=operations.store_upload(round_, file.read_bytes(), file.name))
    click.echo(f"Imported {job.done} recipients into round {round_.id}.")


@recipients.command("correct", help="Correct one recipient's address, municipality, group or "
                                    "unit (given options change, the rest stays).")
@click.argument("email")
@click.option("--round", "reference", required=True, help="Round id or title.")
@click.option("--email", "new_email", help="The corrected address.")
@click.option("--municipality")
@click.option("--group")
@click.option("--unit", help="The unit; an empty value means no unit.")
def correct(email: str, reference: str, new_email: str | None, municipality: str | None,
            group: str | None, unit: str | None) -> None:
    round_ = find_round(reference)
    invitation = operations.find_recipient(db.session(), round_, email)
    if invitation is None:
        raise click.ClickException(f"Nobody in round {round_.id} has the address {email}.")
    correction = (new_email or invitation.email, municipality or invitation.municipality,
                  group or invitation.group,
                  invitation.unit if unit is None else unit.strip() or None)
    new_link = _change(round_, email, correction)
    click.echo(f"Corrected {correction[0]} in round {round_.id}.")
    if new_link:
        click.echo("The link sent to the old address no longer works; the next mail carries "
                   "a new one.")


@recipients.command("remove", help="Remove one recipient who has not been mailed yet.")
@click.argument("email")
@click.option("--round", "reference", required=True, help="Round id or title.")
def remove(email: str, reference: str) -> None:
    round_ = find_round(reference)
    _change(round_, email, None)
    click.echo(f"Removed {email} from round {round_.id}.")


def _change(round_, email: str, correction) -> bool:
    try:
        return operations.change_recipient(db.session(), round_, email, correction=correction)
    except operations.OperationError as problem:
        fail(problem)
