"""Login, logout and password change. Routes parse and render; operations write."""

from __future__ import annotations

import re
import time

from flask import flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _

from survey import db
from survey.admin.operations import OperationError
from survey.auth import bp, drafts, navigation, operations
from survey.auth.decorators import current_user, login_required
from survey.auth.forms import LoginForm, PasswordForm
from survey.models import User

#: A path on this site in plain URL characters: no second slash or backslash after the first
#: (``//host`` and ``/\\host`` lead elsewhere), and no whitespace or control character, which
#: browsers drop (``/<TAB>/host`` is ``//host``) and a header cannot hold.
_LOCAL_PATH = re.compile(r"/(?![/\\])[A-Za-z0-9\-._~!$&'()*+,;=:@%/?]*")


def _safe_next(target: str | None, user: User) -> str:
    """Only a local path the user's role may open (never an open redirect to another site,
    never a 403); otherwise the first page of the role's header."""
    if target and _LOCAL_PATH.fullmatch(target) and navigation.may_open(user, target):
        return target
    return navigation.landing(user)


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    status = 200
    if form.validate_on_submit():
        try:
            user = operations.authenticate(db.session(), form.email.data, form.password.data,
                                           client=request.remote_addr or "")
        except operations.LoginRefused as refused:
            error = refused.message
            status = 429 if refused.throttled else 401
        else:
            draft = drafts.carried_over()
            session.clear()
            session.regenerate()  # a session id seen before login is worthless after it
            drafts.restore(draft)
            session["staff_id"] = user.id
            session["staff_seen"] = int(time.time())
            session["staff_hash"] = user.password_hash[-16:]
            return redirect(_safe_next(request.args.get("next"), user))
    return render_template("auth/login.html", form=form, error=error), status


@bp.post("/logout")
def logout():
    """Ends the session on the server: the row is deleted, an old cookie opens nothing.
    (CSRFProtect has checked the form's token before this runs.)"""
    session.clear()
    session.regenerate()
    flash(_("You are logged out."))
    return redirect(url_for("auth.login"))


@bp.route("/password", methods=["GET", "POST"])
@login_required
def password():
    form = PasswordForm()
    error = None
    if form.validate_on_submit():
        user = current_user()
        try:
            operations.change_password(db.session(), user, form.current.data, form.new.data)
        except OperationError as problem:
            error = problem.message
        else:
            session.regenerate()
            session["staff_hash"] = user.password_hash[-16:]
            flash(_("Your password is changed."))
            return redirect(navigation.landing(user))
    return render_template("auth/password.html", form=form, error=error)


@bp.app_context_processor
def _staff_user():
    return {"staff_user": current_user, "staff_pages": navigation.pages_for}


@bp.app_errorhandler(403)
def forbidden(_error):
    return render_template(
        "site/error.html",
        title=_("Not allowed"),
        message=_("Your role does not give access to this page."),
    ), 403
