"""What every admin operation shares: the error a page shows, and where a round's files live."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from flask import current_app

from survey.mail import (
    OutboxTransport,
    transport_from_url,
)
from survey.models import Round

#: Told how far a long operation has come: ``progress(done, total=None)`` (a job's
#: `survey.jobs.Progress`; it raises to stop work that another worker took over).
Progress = Callable[..., None]


def unreported(_done: int, _total: int | None = None) -> None:
    """The progress of an operation nobody follows."""


class Problems(list):
    """Several messages shown as one, each rendered in the language of the moment."""

    def __str__(self) -> str:
        return " ".join(str(problem) for problem in self)


class OperationError(Exception):
    """A request that the round's state does not allow; the message is for the user."""

    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def upload_folder(round_: Round) -> Path:
    """Uploaded lists wait here between preview and confirmation; closing removes them."""
    return Path(current_app.instance_path) / "uploads" / outbox_key(round_)


def outbox_folders(round_: Round) -> list[Path]:
    """The round's folder in the configured outbox and in the default one (earlier sends)."""
    default = Path(current_app.instance_path) / "outbox"
    roots = {default}
    transport = transport_from_url(current_app.config["MAIL_URL"], default)
    if isinstance(transport, OutboxTransport):
        roots.add(transport.path)
    return [root / outbox_key(round_) for root in roots]


def outbox_files(round_: Round) -> list[Path]:
    return [f for folder in outbox_folders(round_) if folder.is_dir() for f in folder.rglob("*")
            if f.is_file()]


def outbox_key(round_: Round) -> str:
    return f"round-{round_.id}"
