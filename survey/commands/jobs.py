"""`paverkan jobs run|list`: the background jobs (close, send-out, import, microdata export)
from a terminal.

`run` takes over every unfinished job that no worker holds (one whose worker was killed or
restarted) and runs it to its end in the foreground, and deletes the export files kept
longer than `PAVERKAN_EXPORT_KEEP_HOURS`; run it from cron or a service to finish such jobs
and remove such files without anyone opening their page. `run_job` is how the other commands
(`round close`, `mail invite|remind`, `recipients import`) run their work: the same job the
admin pages start, in the foreground.
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup
from sqlalchemy import select

from survey import db
from survey import jobs as runner
from survey.admin import jobs as admin_jobs
from survey.admin import operations
from survey.commands.round import fail
from survey.jobs.models import Job
from survey.models import Round


def run_job(kind: str, round_: Round, **arguments) -> Job:
    """Start (or join) the round's job of this kind and run it here; its outcome is printed,
    and a failure ends the command with its message."""
    try:
        job = admin_jobs.start(db.session(), kind, round_, "en", **arguments)
    except operations.OperationError as problem:
        fail(problem)
    finished = runner.run(current_app._get_current_object(), job.id)
    if finished is None:
        raise click.ClickException(
            f"Job {job.id} is being run by another worker (a web page or `paverkan jobs run`); "
            f"follow it at /admin/jobs/{job.id}.")
    if finished.state == "failed":
        raise click.ClickException(finished.outcome)
    click.echo(finished.outcome)
    return finished


@click.group(cls=AppGroup, help="Background jobs: closes, send-outs, imports and exports.")
def jobs() -> None:
    pass


@jobs.command(help="Finish every job whose worker stopped (killed, restarted), here and now, "
                   "and delete expired export files.")
def run() -> None:
    from survey.results import export_job

    export_job.remove_expired()
    finished = runner.run_orphaned(current_app._get_current_object())
    for job in finished:
        click.echo(f"Job {job.id} ({job.kind}, round {job.round_id}): {job.state}. {job.outcome}")
    if not finished:
        click.echo("No job was waiting for a worker.")


@jobs.command("list", help="The unfinished jobs and the last ten.")
def list_() -> None:
    session = db.session()
    for job in session.scalars(select(Job).order_by(Job.id.desc()).limit(10)):
        total = f"/{job.total}" if job.total is not None else ""
        click.echo(f"{job.id}\t{job.kind}\tround {job.round_id}\t{job.state}\t"
                   f"{job.done}{total}\t{job.outcome or ''}")
