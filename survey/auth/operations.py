"""Staff accounts: creation, login with throttling, password change. Hashes are argon2id."""

from __future__ import annotations

import re

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from flask_babel import lazy_gettext as _l
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from zxcvbn import zxcvbn

from survey.admin.operations import OperationError
from survey.auth import throttle
from survey.models import ROLES, User
from survey.recipients import is_valid_email

HASHER = PasswordHasher()
MIN_PASSWORD_LENGTH = 12
#: zxcvbn's estimate (0-4) a password must reach: 3 is "safely unguessable" against an
#: online attack and refuses its lists of common passwords, names and words with the usual
#: substitutions. It scores at most this many characters (its limit; longer ones are long).
MIN_PASSWORD_SCORE = 3
_SCORED_LENGTH = 72
#: Verified when the address is unknown, so a wrong address costs as long as a wrong password.
_DUMMY_HASH = HASHER.hash("no such user")


class LoginRefused(Exception):
    def __init__(self, message) -> None:
        super().__init__(message)
        self.message = message
        self.throttled = False


def check_password_rules(password: str, email: str) -> None:
    """Long enough, not the user's own address, not common or guessable.

    zxcvbn (Dropbox's estimator, MIT) ships the lists of common passwords it checks: a kept
    library instead of a list of our own to curate. The parts of the address (a name) go to it
    as words to guess first."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise OperationError(_l("The password must be at least %(n)s characters.",
                                n=MIN_PASSWORD_LENGTH))
    address = email.strip().lower()
    local = address.partition("@")[0]
    # The local part as a word of its own: "anna2026" is refused, "ett annat ord" is not.
    own_name = rf"(?<![^\W\d_]){re.escape(local)}(?![^\W\d_])"
    if address in password.lower() or (local and re.search(own_name, password.lower())):
        raise OperationError(_l("The password must not contain your e-mail address or your "
                                "name from it."))
    user_inputs = [p for p in (address, local, *re.split(r"[.\-_+@]", address)) if p]
    if zxcvbn(password[:_SCORED_LENGTH], user_inputs=user_inputs)["score"] < MIN_PASSWORD_SCORE:
        raise OperationError(_l("The password is too common or too easy to guess. Use a few "
                                "words of your own that do not belong together."))


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
    check_password_rules(password, email)
    user = User(email=email, role=role, password_hash=HASHER.hash(password), active=True)
    db.add(user)
    db.commit()
    return user


def authenticate(db: Session, email: str, password: str, client: str) -> User:
    """The user with this address and password, or `LoginRefused` with one message for a
    wrong address and a wrong password alike, and another when `client` (its address) or
    the account tried too often (:mod:`survey.auth.throttle`), known account or not."""
    if not throttle.record_attempt(db, email, client):
        refused = LoginRefused(_l("Too many attempts. Wait %(minutes)s minutes and try again.",
                                  minutes=throttle.WINDOW_SECONDS // 60))
        refused.throttled = True
        raise refused
    user = find_user(db, email)
    try:
        if user is None or not user.active:
            HASHER.verify(_DUMMY_HASH, password)
            raise VerificationError("no such user")
        HASHER.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        raise LoginRefused(_l("Wrong e-mail address or password.")) from None
    throttle.forget_pair(db, email, client)
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
    check_password_rules(new, user.email)
    user.password_hash = HASHER.hash(new)
    throttle.lift(db, user.email)
    db.commit()


def set_active(db: Session, user: User, active: bool) -> None:
    """A deactivated account cannot log in and its open sessions end at their next request."""
    user.active = active
    db.commit()


def set_role(db: Session, user: User, role: str) -> None:
    """A new role takes effect at the user's next request (pages check the role each time)."""
    if role not in ROLES:
        raise OperationError(_l("Unknown role."))
    user.role = role
    db.commit()


def is_last_admin(db: Session, user: User) -> bool:
    """Whether ``user`` is the only active administrator: the pages refuse to demote or
    deactivate them (nobody could manage accounts from the pages again); the terminal,
    which can always add an administrator, may."""
    if user.role != "admin" or not user.active:
        return False
    others = db.scalar(select(func.count()).select_from(User).where(
        User.role == "admin", User.active.is_(True), User.id != user.id))
    return not others
