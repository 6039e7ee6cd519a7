"""Staff accounts from the admin pages: add, change the role, deactivate or reactivate, set
a new password. The same operations as `paverkan user`, so the rules (password strength, one
administrator always left) are the same on both."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from survey import db
from survey.admin import bp
from survey.admin.operations import OperationError
from survey.auth import operations as accounts
from survey.auth.decorators import role_required
from survey.forms import StaffForm, max_length
from survey.models import ROLES, User

LAST_ADMIN = _l("%(address)s is the only active administrator: make another account "
                "administrator first.")
ROLE_LABELS = {"admin": _l("Administrator"), "chief": _l("Chief (results)"),
               "researcher": _l("Researcher (results and microdata)")}


def _role_field():
    return SelectField(_l("Role"), choices=[SelectChoice(r, ROLE_LABELS[r]) for r in ROLES],
                       validators=[DataRequired()])


class NewStaffForm(StaffForm):
    email = StringField(_l("E-mail address (the login name)"),
                        validators=[DataRequired(), Length(max=max_length(User.email))])
    role = _role_field()
    password = PasswordField(_l("First password (at least 12 characters; tell it in person)"),
                             validators=[DataRequired(), Length(max=1000)])


class RoleForm(StaffForm):
    role = _role_field()


class ResetPasswordForm(StaffForm):
    password = PasswordField(_l("New password (at least 12 characters)"),
                             validators=[DataRequired(), Length(max=1000)])


@bp.route("/konton", methods=["GET", "POST"])
@role_required("admin")
def staff():
    session = db.session()
    form = NewStaffForm()
    error = None
    if form.validate_on_submit():
        try:
            user = accounts.add_user(session, form.email.data, form.role.data,
                                     form.password.data)
        except OperationError as problem:
            error = problem.message
        else:
            flash(_("The account %(address)s is created.", address=user.email))
            return redirect(url_for("admin.staff"))
    users = session.query(User).order_by(User.active.desc(), User.email).all()
    return render_template("admin/staff.html", form=form, error=error, users=users,
                           role_labels=ROLE_LABELS)


def _member(user_id: int) -> User:
    user = db.session().get(User, user_id)
    if user is None:
        abort(404)
    return user


@bp.route("/konton/<int:user_id>", methods=["GET", "POST"])
@role_required("admin")
def staff_member(user_id: int):
    session = db.session()
    user = _member(user_id)
    role_form = RoleForm(obj=user, prefix="role")
    password_form = ResetPasswordForm(prefix="password")
    error = None
    try:
        if "role-role" in request.form and role_form.validate_on_submit():
            if role_form.role.data != "admin" and accounts.is_last_admin(session, user):
                raise OperationError(LAST_ADMIN % {"address": user.email})
            accounts.set_role(session, user, role_form.role.data)
            flash(_("The role is changed."))
            return redirect(url_for("admin.staff_member", user_id=user_id))
        if "password-password" in request.form and password_form.validate_on_submit():
            accounts.set_password(session, user, password_form.password.data)
            flash(_("The password is changed. Tell it to %(address)s in person.",
                    address=user.email))
            return redirect(url_for("admin.staff_member", user_id=user_id))
    except OperationError as problem:
        session.rollback()
        error = problem.message
    return render_template("admin/staff_member.html", member=user, role_form=role_form,
                           password_form=password_form, error=error, role_labels=ROLE_LABELS)


@bp.post("/konton/<int:user_id>/aktiv")
@role_required("admin")
def staff_active(user_id: int):
    session = db.session()
    user = _member(user_id)
    form = StaffForm()
    if form.validate_on_submit():
        if user.active and accounts.is_last_admin(session, user):
            flash(str(LAST_ADMIN % {"address": user.email}))
        else:
            accounts.set_active(session, user, not user.active)
            flash(_("The account can log in again.") if user.active
                  else _("The account is deactivated: it cannot log in."))
    return redirect(url_for("admin.staff_member", user_id=user_id))
