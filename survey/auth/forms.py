"""Login and password forms (CSRF from Flask-WTF)."""

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField
from wtforms.validators import DataRequired, EqualTo, Length

from survey.forms import StaffForm, max_length
from survey.models import User


class LoginForm(StaffForm):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(),
                                                          Length(max=max_length(User.email))])
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=1000)])


class PasswordForm(StaffForm):
    current = PasswordField(_l("Current password"), validators=[DataRequired(),
                                                                 Length(max=1000)])
    new = PasswordField(_l("New password (at least 12 characters)"),
                        validators=[DataRequired(), Length(max=1000)])
    repeat = PasswordField(_l("New password again"),
                           validators=[DataRequired(), EqualTo("new", _l("The passwords differ."))])
