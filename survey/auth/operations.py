"""Staff accounts: creation, login with throttling, password change. Hashes are argon2id."""

from __future__ import annotations

import datetime as dt

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from survey.admin.operations import OperationError
from survey.models import ROLES, User
from survey.recipients import is_valid_email

HASHER = PasswordHasher()
#: After this many wrong passwords in a row the account waits LOCK_TIME before trying again.
MAX_FAILURES = 5
LOCK_TIME = dt.timedelta(minutes=15)
MIN_PASSWORD_LENGTH = 12
#: Verified when the address is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = HASHER.hash("no such user")


class LoginRefused(Exception):
    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperationError(_l("The password must be at least %(n)s characters.",
                                n=MIN_PASSWORD_LENGTH))


def find_user(db: Session, email: str) -> User | None:
    return db.scalar(select(User).where(func.lower(User.email) == email.strip().lower()))


def add_user(db: Session, email: str, role: str, password: str) -> User:
    """A new staff account; the address is its login name, so it must be one (a typo found
    at the first login is a locked-out colleague)."""
    email = email.strip()
    if not is_valid_email(email):
        raise OperationError(_l("%(address)s is not an e-mail address.", address=email))
    if role not in ROLES:
        raise OperationError(_l("Unknown role."))
    if find_user(db, email) is not None:
        raise OperationError(_l("There is already an account for this address."))
    _check_password_rules(password)
    user = User(email=email, role=role, password_hash=HASHER.hash(password),
                active=True, failed_logins=0)
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, email: str, password: str) -> User:
    """The user with this address and password, or `LoginRefused` with one message for a
    wrong address and a wrong password alike. Throttled per account."""
    refused = LoginRefused(_l("Wrong e-mail address or password."))
    user = find_user(db, email)
    if user is None or not user.active:
        try:
            HASHER.verify(_DUMMY_HASH, password)
        except VerificationError:
            pass
        raise refused
    locked_until = user.locked_until
    if locked_until is not None and locked_until.tzinfo is None:
        locked_until = locked_until.replace(tzinfo=dt.UTC)  # SQLite returns naive times
    if locked_until is not None and locked_until > _now():
        raise LoginRefused(_l("Too many failed attempts. Wait %(minutes)s minutes and try "
                              "again.", minutes=int(LOCK_TIME.total_seconds() // 60)))
    try:
        HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        user.failed_logins += 1
        if user.failed_logins >= MAX_FAILURES:
            user.failed_logins = 0
            user.locked_until = _now() + LOCK_TIME
        db.commit()
        raise refused from None
    user.failed_logins = 0
    user.locked_until = None
    if HASHER.check_needs_rehash(user.password_hash):
        user.password_hash = HASHER.hash(password)
    db.commit()
    return user


def change_password(db: Session, user: User, current: str, new: str) -> None:
    """Requires the current password; every other session of this user ends with it."""
    try:
        HASHER.verify(user.password_hash, current)
    except (VerificationError, InvalidHashError):
        raise OperationError(_l("The current password is wrong.")) from None
    set_password(db, user, new)


def set_password(db: Session, user: User, new: str) -> None:
    """A new password (also for a forgotten one, from the terminal); it ends every session of
    the user and lifts a lock."""
    _check_password_rules(new)
    user.password_hash = HASHER.hash(new)
    user.failed_logins = 0
    user.locked_until = None
    db.commit()


def set_active(db: Session, user: User, active: bool) -> None:
    """A deactivated account cannot log in and its open sessions end at their next request."""
    user.active = active
    db.commit()
