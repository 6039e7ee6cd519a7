"""Who is logged in, and role checks as decorators (CTFd's `admins_only` idea)."""

from __future__ import annotations

import time
from functools import wraps

from flask import abort, current_app, g, redirect, request, session, url_for

from survey import db
from survey.auth import drafts
from survey.models import User


def current_user() -> User | None:
    """The logged-in, active staff member of this request, or None."""
    if "staff_user" not in g:
        g.staff_user = _load_user()
    return g.staff_user


def _load_user() -> User | None:
    user_id = session.get("staff_id")
    if user_id is None:
        return None
    idle = current_app.config["ADMIN_IDLE_MINUTES"] * 60
    now = int(time.time())
    if now - session.get("staff_seen", 0) > idle:
        session.clear()  # the server-side row goes with it
        return None
    user = db.session().get(User, user_id)
    if user is None or not user.active or session.get("staff_hash") != user.password_hash[-16:]:
        session.clear()  # deactivated, deleted, or the password changed elsewhere
        return None
    if now - session["staff_seen"] > 60:  # refresh at most once a minute: fewer writes
        session["staff_seen"] = now
    return user


def role_required(*roles: str):
    """Only logged-in staff with one of `roles`: others go to the login page or get 403."""

    def decorator(view):
        @wraps(view)
        def wrapped(*args, **kwargs):
            user = current_user()
            if user is None:
                if request.method == "POST":
                    return drafts.keep_and_log_in_again(logged_in=False)
                return redirect(url_for("auth.login", next=request.path))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        wrapped.required_roles = roles
        return wrapped

    return decorator


def login_required(view):
    """Any logged-in staff member, whatever the role (e.g. changing one's own password)."""
    from survey.models import ROLES

    return role_required(*ROLES)(view)
