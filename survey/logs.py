"""Logging that never writes a link token, a token hash, a pool marker or an id.

Whoever reads the logs is inside the threat model (docs/anonymity.md). Three sources could
write such values: gunicorn, whose default ``pre_request`` hook logs every request's path (a
link holds the token) at DEBUG and whose error log names the path of a failed request;
Flask's exception log; and SQLAlchemy, whose engine log (SQL echo) writes each statement's
parameters at INFO and every fetched row at DEBUG. So every engine hides its parameters
(:func:`survey.db.make_engine`), the engine's row log is refused at any level, and the web
servers' and the application's log lines have every long key-like value redacted. Filters
sit on the loggers themselves, so they hold whatever handlers and levels an operator
configures.
"""

from __future__ import annotations

import logging
import re

#: A value that could be a link token (43 characters), a token hash or marker (64 hex
#: digits), an invitation or response id (32 hex digits) or another long secret.
SECRET = re.compile(r"[A-Za-z0-9_-]{20,}")

#: Loggers whose lines are redacted: the web servers' and the application's.
REDACTED_LOGGERS = ("gunicorn.error", "gunicorn.access", "werkzeug", "survey.app")
#: SQLAlchemy's engine log: statements at INFO (parameters hidden), rows at DEBUG.
ENGINE_LOGGER = "sqlalchemy.engine.Engine"


def redact(text: str) -> str:
    return SECRET.sub("…", text)


class Redact(logging.Filter):
    """Writes the line with every secret-looking value replaced by an ellipsis."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        return True


class NoRows(logging.Filter):
    """Refuses SQLAlchemy's DEBUG lines: the rows a query fetched (addresses, token
    hashes, markers)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno > logging.DEBUG


def install() -> None:
    """Put the filters on their loggers (once per process) and keep Werkzeug's request
    lines (client address, path) out."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    _add(logging.getLogger(ENGINE_LOGGER), NoRows)
    _add(logging.getLogger(ENGINE_LOGGER), Redact)
    for name in REDACTED_LOGGERS:
        _add(logging.getLogger(name), Redact)


def _add(logger: logging.Logger, kind: type[logging.Filter]) -> None:
    if not any(isinstance(f, kind) for f in logger.filters):
        logger.addFilter(kind())
