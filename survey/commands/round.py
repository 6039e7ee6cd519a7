"""`paverkan round create|open|flush|close|status`: the same operations as the admin pages."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import click
from flask.cli import AppGroup
from flask_babel import force_locale
from sqlalchemy import select

import questionnaires
from survey import db
from survey.admin import operations
from survey.models import Round
from survey.recipients import RecipientFileError
from survey.respondent import operations as respondent


def find_round(reference: str) -> Round:
    """A round by id or by exact title."""
    session = db.session()
    round_ = session.get(Round, int(reference)) if reference.isdigit() else session.scalar(
        select(Round).where(Round.title == reference)
    )
    if round_ is None:
        raise click.ClickException(f"No round {reference!r}. `paverkan round status` lists them.")
    return round_


def english(message) -> str:
    """The terminal speaks English (like the rest of the CLI) and has no request to ask."""
    with force_locale("en"):
        return str(message)


def fail(problem: operations.OperationError | RecipientFileError):
    raise click.ClickException(english(problem.message)) from None


@click.group(cls=AppGroup, help="Create, open, close and follow survey rounds.")
def round() -> None:
    pass


@round.command(help="Create a draft round from a questionnaire definition.")
@click.option("--title", required=True)
@click.option("--year", "reference_year", type=int, required=True,
              help="The reference year the questions ask about.")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]), required=True)
@click.option("--municipality", "municipalities", multiple=True, required=True,
              help="Repeat for each municipality.")
@click.option("--group", "groups", multiple=True,
              default=("förtroendevald", "medarbetare"), show_default=True)
@click.option("--definition", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              default=questionnaires.DEFAULT_DEFINITION, show_default="the default instrument")
@click.option("--min-cell-size", type=click.IntRange(1, 100), default=5, show_default=True)
def create(title, reference_year, opens, closes, municipalities, groups, definition,
           min_cell_size) -> None:
    try:
        round_ = operations.create_round(
            db.session(), title=title, reference_year=reference_year,
            opens_on=opens.date(), closes_on=closes.date(),
            municipalities=list(municipalities), groups=list(groups),
            definition=definition, min_cell_size=min_cell_size,
        )
    except operations.OperationError as problem:
        fail(problem)
    except questionnaires.DefinitionError as error:
        raise click.ClickException(str(error)) from None
    click.echo(f"Created round {round_.id} ({round_.title}) as a draft; "
               f"fingerprint {round_.fingerprint[:16]}.")


@round.command("open", help="Open a draft round; its questionnaire is frozen from now on.")
@click.argument("reference")
def open_(reference: str) -> None:
    round_ = find_round(reference)
    try:
        operations.open_round(db.session(), round_)
    except operations.OperationError as problem:
        fail(problem)
    click.echo(f"Round {round_.id} is open.")


@round.command(help="Change a round's dates, e.g. to give a week more to answer.")
@click.argument("reference")
@click.option("--opens", type=click.DateTime(["%Y-%m-%d"]))
@click.option("--closes", type=click.DateTime(["%Y-%m-%d"]))
def dates(reference: str, opens, closes) -> None:
    round_ = find_round(reference)
    try:
        operations.reschedule(db.session(), round_,
                              opens.date() if opens else round_.opens_on,
                              closes.date() if closes else round_.closes_on)
    except operations.OperationError as problem:
        fail(problem)
    click.echo(f"Round {round_.id} is open for answers {round_.opens_on}–{round_.closes_on}.")


@round.command(help="Close a round for good and erase its addresses and links.")
@click.argument("reference")
@click.option("--yes", is_flag=True, help="Do not ask for confirmation.")
def close(reference: str, yes: bool) -> None:
    round_ = find_round(reference)
    summary = operations.erasure_summary(db.session(), round_)
    click.echo(
        f"Closing round {round_.id} ({round_.title}) cannot be undone. It erases "
        f"{summary['addresses']} e-mail addresses, every link, {summary['drafts']} drafts and "
        f"{summary['outbox_files']} outbox files; counts per stratum are kept."
    )
    if not yes:
        click.confirm("Close and erase?", abort=True)
    from survey.commands.jobs import run_job  # it uses this module's `fail`

    run_job("close", round_)


@round.command(help="Turn the pooled answers of every stratum that holds a whole batch into "
                    "responses, in every open round. Run it from a timer (e.g. hourly).")
def flush() -> None:
    session = db.session()
    rounds = session.scalars(select(Round).where(Round.state == "open")).all()
    moved = sum(respondent.flush_pool(session, r.id) for r in rounds)
    click.echo(f"Open rounds checked: {len(rounds)}; pooled answers that became responses: "
               f"{moved}.")


@round.command(help="Rounds, or one round's response rates per stratum.")
@click.argument("reference", required=False)
def status(reference: str | None) -> None:
    if reference is None:
        for r in db.session().scalars(select(Round).order_by(Round.id)):
            click.echo(f"{r.id}\t{r.state}\t{r.opens_on}–{r.closes_on}\t{r.title}")
        return
    round_ = find_round(reference)
    click.echo(f"Round {round_.id}: {round_.title} ({round_.state}, "
               f"{round_.opens_on}–{round_.closes_on})")
    click.echo("municipality\tgroup\tinvited\tresponded\topted out\tbounced\trate\tsent\tfailed")
    for r in operations.response_rates(db.session(), round_):
        rate = f"{r.rate:.0%}" if r.rate is not None else "–"
        click.echo(f"{r.municipality}\t{r.group}\t{r.invited}\t{r.responded}\t{r.declined}\t"
                   f"{r.bounced}\t{rate}\t{r.mails_sent}\t{r.mails_failed}")
    for mailing, counts in operations.mailing_overview(db.session(), round_):
        shown = ", ".join(f"{k} {v}" for k, v in sorted(counts.items()))
        click.echo(f"{mailing.kind} {mailing.number}: {shown}")
    today = dt.date.today()
    if round_.state == "open" and today > round_.closes_on:
        click.echo("The closing date has passed: `paverkan round close` erases the addresses.")
