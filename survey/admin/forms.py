"""Forms of the administration pages. Labels are msgids; Swedish comes from the catalogue."""

from __future__ import annotations

import datetime as dt

from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional

from survey.admin.models import MailTemplate
from survey.forms import StaffForm, max_length
from survey.models import Round


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


class RoundForm(StaffForm):
    title = StringField(_l("Title"), validators=[DataRequired(),
                                                Length(max=max_length(Round.title))])
    reference_year = IntegerField(
        _l("Reference year (the year the questions ask about)"),
        validators=[InputRequired(), NumberRange(min=2000, max=2100)],
        default=lambda: dt.date.today().year - 1,
    )
    opens_on = DateField(_l("Opens (YYYY-MM-DD)"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes (YYYY-MM-DD)"), validators=[InputRequired()])
    municipalities = TextAreaField(_l("Municipalities, one per line"),
                                   validators=[DataRequired(), Length(max=20000)],
                                   default="Linköping\nNorrköping")
    groups = TextAreaField(_l("Groups, one per line"), validators=[DataRequired(),
                                                                    Length(max=2000)],
                           default="förtroendevald\nmedarbetare")
    min_cell_size = IntegerField(_l("Smallest group shown in results"), default=5,
                                 validators=[InputRequired(), NumberRange(min=1, max=100)])


class DatesForm(StaffForm):
    opens_on = DateField(_l("Opens (YYYY-MM-DD)"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes (YYYY-MM-DD)"), validators=[InputRequired()])


class UploadForm(StaffForm):
    file = FileField(_l("Recipient list (Excel .xlsx or CSV)"), validators=[FileRequired()])
    sheet = StringField(_l("Sheet (leave empty for the first sheet)"),
                        validators=[Optional(), Length(max=100)])


class ConfirmImportForm(StaffForm):
    upload = StringField(validators=[DataRequired(), Length(min=32, max=32)])
    sheet = StringField(validators=[Optional(), Length(max=100)])


class MailTextForm(StaffForm):
    subject_sv = StringField(_l("Subject in Swedish"), validators=[
        DataRequired(), Length(max=max_length(MailTemplate.subject_sv))])
    subject_en = StringField(_l("Subject in English"), validators=[
        DataRequired(), Length(max=max_length(MailTemplate.subject_en))])
    body_sv = TextAreaField(_l("Text in Swedish"), validators=[DataRequired(),
                                                               Length(max=10000)])
    body_en = TextAreaField(_l("Text in English"), validators=[DataRequired(),
                                                               Length(max=10000)])


class ActionForm(StaffForm):
    """A button that changes something: only the CSRF token."""


class CloseForm(StaffForm):
    understood = BooleanField(
        _l("I understand that the addresses and links are erased for good and that the "
           "round cannot be opened again."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
