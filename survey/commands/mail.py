"""`paverkan mail invite|remind --round R`: resumable sends, for cron or a terminal."""

from __future__ import annotations

import click
from flask.cli import AppGroup

from survey import db
from survey.admin import operations
from survey.commands.jobs import run_job
from survey.commands.round import fail, find_round


@click.group(cls=AppGroup, help="Send invitations and reminders (rerun to resume).")
def mail() -> None:
    pass


def _send(reference: str, kind: str, resend_uncertain: bool, number: int | None = None) -> None:
    round_ = find_round(reference)
    try:
        mailing = operations.start_mailing(db.session(), round_, kind, number)
    except operations.OperationError as problem:
        fail(problem)
    run_job("send", round_, mailing=mailing.id, resend_uncertain=resend_uncertain)
    counts = ", ".join(f"{k} {v}" for k, v in
                       sorted(operations.delivery_counts(db.session(), mailing).items()))
    click.echo(f"{kind} {mailing.number} in total: {counts}")
    if "uncertain" in counts:
        click.echo("Uncertain mails may have arrived; they are only resent with "
                   "--resend-uncertain.")


_resend = click.option("--resend-uncertain", is_flag=True,
                       help="Also resend mails whose delivery is unknown (risk of duplicates).")


@mail.command(help="Send the invitations not yet sent.")
@click.option("--round", "reference", required=True, help="Round id or title.")
@_resend
def invite(reference: str, resend_uncertain: bool) -> None:
    _send(reference, "invitation", resend_uncertain)


@mail.command(help="Remind everyone who has not answered or opted out (counts only). Reruns "
                   "finish the current reminder; a new one must be asked for with --number.")
@click.option("--round", "reference", required=True, help="Round id or title.")
@click.option("--number", type=click.IntRange(1), help="Which reminder (2 for the second).")
@_resend
def remind(reference: str, number: int | None, resend_uncertain: bool) -> None:
    _send(reference, "reminder", resend_uncertain, number)
