"""Login throttling that holds under parallel requests, on SQLite and PostgreSQL alike.

Every attempt is counted before its password is checked, by one atomic upsert per scope
(``INSERT … ON CONFLICT DO UPDATE … RETURNING``): two parallel guesses cannot both read the
same count, as they could when the count was read, incremented and written back.

Three scopes, each with a window of `WINDOW_SECONDS`:

- the pair (account, client address): a handful of tries. A stranger who guesses at an
  account locks out only their own address, not the colleague who owns it;
- the client address over all accounts: one address cannot spray many accounts;
- the account over all addresses: a generous ceiling against guessing from many addresses.
  Only that ceiling lets strangers lock an account, and only until its window ends.

An unknown address is counted exactly like a known one, so the answer (and its timing) never
tells whether an account exists. The client address comes from ``request.remote_addr``:
behind the README's nginx, set ``PAVERKAN_PROXY_COUNT=1`` or every client is the proxy.
"""

from __future__ import annotations

import time

from flask import current_app
from sqlalchemy import case, delete
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from survey.crypto import derive_key, keyed_hash
from survey.models import LoginAttempts

WINDOW_SECONDS = 15 * 60
#: Tries per window before a scope is refused without checking the password.
LIMITS = {"pair": 5, "client": 30, "account": 100}


def _hash(*parts: str) -> str:
    key = derive_key(current_app.config["SECRET_KEY"], "login-throttle")
    return keyed_hash(key, "\0".join(parts))


def account_key(email: str) -> str:
    return _hash("account", email.strip().lower())


def _count(db: Session, key: str, account: str | None, now: int) -> int:
    """Add one attempt to `key`'s window (a new window when the old one has passed) and
    return the count, in one statement."""
    table = LoginAttempts.__table__
    dialect = postgresql if db.get_bind().dialect.name == "postgresql" else sqlite
    expired = table.c.window_start <= now - WINDOW_SECONDS
    statement = (
        dialect.insert(table)
        .values(key=key, account=account, attempts=1, window_start=now)
        .on_conflict_do_update(
            index_elements=[table.c.key],
            set_={"attempts": case((expired, 1), else_=table.c.attempts + 1),
                  "window_start": case((expired, now), else_=table.c.window_start)},
        )
        .returning(table.c.attempts)
    )
    return db.execute(statement).scalar_one()


def record_attempt(db: Session, email: str, client: str) -> bool:
    """Count a login attempt and commit; False when any of its scopes is over its limit."""
    now = int(time.time())
    db.execute(delete(LoginAttempts).where(LoginAttempts.window_start
                                           <= now - WINDOW_SECONDS))
    account = account_key(email)
    counts = {
        "pair": _count(db, _hash("pair", account, client), account, now),
        "client": _count(db, _hash("client", client), None, now),
        "account": _count(db, account, account, now),
    }
    db.commit()  # before the slow password check: no lock is held across it
    return all(counts[scope] <= limit for scope, limit in LIMITS.items())


def forget_pair(db: Session, email: str, client: str) -> None:
    """After a successful login: the owner's earlier typos from this address no longer count."""
    db.execute(delete(LoginAttempts).where(
        LoginAttempts.key == _hash("pair", account_key(email), client)))


def lift(db: Session, email: str) -> None:
    """A new password lifts every lock on the account (its own and its pairs)."""
    db.execute(delete(LoginAttempts).where(LoginAttempts.account == account_key(email)))
