"""Every knob of the application on one screen (microblog's ``Config`` idea).

Values come from the environment with defaults that are safe for a single machine: a SQLite
file, an outbox folder and a generated secret, all inside the instance folder, which is never
part of the repository.
"""

from __future__ import annotations

import math
import os
import secrets
from pathlib import Path


class ConfigError(ValueError):
    """A setting the application cannot use. The message names the variable and what it
    takes: a bare ``int('abc')`` traceback names neither."""


class Config:
    """Configuration read once per application from the environment.

    ``PAVERKAN_DATABASE_URL``  SQLAlchemy URL; default a SQLite file in the instance folder.
    ``PAVERKAN_MAIL_URL``      ``outbox:///path``, ``smtp://user:pass@host:587`` or
                               ``smtps://...``. Unset, sending is refused unless
                               ``PAVERKAN_DEMO=1`` (then: the instance folder's outbox).
    ``PAVERKAN_SECRET_KEY``    the instance secret; default generated into the instance
                               folder (mode 0600) on first run. Every keyed hash, token and
                               encryption key is derived from it, so it never enters the
                               database.
    ``PAVERKAN_PROXY_COUNT``   how many reverse proxies stand in front of the app (the
                               README's nginx: 1). Only then are their X-Forwarded-For and
                               X-Forwarded-Proto headers believed; unset (0), a client could
                               claim any address or https.
    ``PAVERKAN_POOL_SIZE``     how many submissions are pooled before they become responses
                               together (see docs/anonymity.md).
    """

    def __init__(self, instance_path: str | os.PathLike, environ=os.environ) -> None:
        instance = Path(instance_path)
        self.DATABASE_URL = environ.get("PAVERKAN_DATABASE_URL") or (
            f"sqlite:///{instance / 'paverkan.sqlite3'}"
        )
        #: None: no transport was chosen (see MAIL_OUTBOX_ALLOWED).
        self.MAIL_URL = environ.get("PAVERKAN_MAIL_URL") or None
        #: An outbox folder holds every respondent's link in clear: without a mail URL, mail
        #: goes to the instance folder's outbox only on a demo or test install, never by default.
        self.MAIL_OUTBOX_ALLOWED = environ.get("PAVERKAN_DEMO") == "1"
        self.SECRET_KEY = environ.get("PAVERKAN_SECRET_KEY") or _instance_secret(instance)
        self.PROXY_COUNT = numeric_setting(environ, "PAVERKAN_PROXY_COUNT", 0, minimum=0,
                                           maximum=5)
        self.POOL_SIZE = numeric_setting(environ, "PAVERKAN_POOL_SIZE", 8, minimum=1)
        #: How long closing a round waits for older transactions to end before it rewrites
        #: the erased tables (PostgreSQL's VACUUM FULL cannot drop rows they might still
        #: see) or empties the write-ahead log (SQLite: readers of older snapshots).
        self.SCRUB_WAIT_SECONDS = numeric_setting(environ, "PAVERKAN_SCRUB_WAIT_SECONDS", 60.0,
                                                  minimum=0, kind=float)
        #: How long a background job's claim holds; its worker renews it five times as often.
        #: A job unrenewed this long has lost its worker, and the next look takes it over.
        self.JOB_LEASE_SECONDS = numeric_setting(environ, "PAVERKAN_JOB_LEASE_SECONDS", 30.0,
                                                 minimum=1, kind=float)
        #: How long a researcher's finished microdata file waits in the instance folder for
        #: its download (it is deleted once downloaded).
        self.EXPORT_KEEP_HOURS = numeric_setting(environ, "PAVERKAN_EXPORT_KEEP_HOURS", 24,
                                                 minimum=1, maximum=24 * 7)
        #: Where respondents reach the app: links in mails are built on it (also from the CLI).
        self.BASE_URL = environ.get("PAVERKAN_BASE_URL", "http://127.0.0.1:5000")
        self.MAIL_FROM = environ.get("PAVERKAN_MAIL_FROM", "enkat@localhost")
        #: Staff sessions end after this much inactivity; respondents' do not (see below).
        self.ADMIN_IDLE_MINUTES = numeric_setting(environ, "PAVERKAN_ADMIN_IDLE_MINUTES", 30,
                                                  minimum=1)
        #: Recipient lists are the one large upload (50,000 rows are about 3 MB).
        self.RECIPIENT_UPLOAD_MAX_BYTES = 16 * 1024 * 1024
        #: A respondent who leaves a page open for days must not lose it: the session slides
        #: forward on every request and the CSRF token has no time limit of its own.
        self.SESSION_IDLE_DAYS = numeric_setting(environ, "PAVERKAN_SESSION_IDLE_DAYS", 14,
                                                 minimum=1)
        self.WTF_CSRF_TIME_LIMIT = None
        self.SESSION_COOKIE_NAME = "paverkan"
        self.SESSION_COOKIE_HTTPONLY = True
        self.SESSION_COOKIE_SAMESITE = "Lax"
        self.SESSION_COOKIE_SECURE = environ.get("PAVERKAN_INSECURE_COOKIES") != "1"
        #: Larger bodies are refused before parsing: the longest free-text answer is far below.
        self.MAX_CONTENT_LENGTH = 256 * 1024
        self.BABEL_DEFAULT_LOCALE = "sv"
        self.BABEL_TRANSLATION_DIRECTORIES = str(Path(__file__).parent / "translations")
        self.LANGUAGES = ("sv", "en")


def numeric_setting(environ, name: str, default, *, minimum, maximum=math.inf, kind=int):
    """The numeric setting `name` (unset or empty: `default`), or `ConfigError`."""
    text = environ.get(name, "").strip()
    if not text:
        return default
    try:
        value = kind(text)
    except ValueError:
        value = math.nan
    if not minimum <= value <= maximum:
        what = "a whole number" if kind is int else "a number"
        limits = f"from {minimum} to {maximum}" if maximum < math.inf else f"of at least {minimum}"
        raise ConfigError(f"{name}={text!r} cannot be used: it must be {what} {limits} "
                          f"(unset, it is {default}).")
    return value


def _instance_secret(instance: Path) -> str:
    """Read the generated secret, creating it with owner-only permissions on first run."""
    path = instance / "secret_key"
    if not path.exists():
        instance.mkdir(parents=True, exist_ok=True)
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:  # another worker won the race; its secret is the one
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()
