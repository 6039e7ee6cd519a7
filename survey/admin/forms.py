"""Forms of the administration pages. Labels are msgids; Swedish comes from the catalogue."""

from __future__ import annotations

import datetime as dt

from flask_babel import gettext
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    IntegerField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    StopValidation,
    ValidationError,
)

import questionnaires
from questionnaires.model import Questionnaire
from survey.admin.models import MailTemplate
from survey.admin.operations.rounds import IDENTITY, date_problems, round_problems
from survey.forms import StaffForm, max_length
from survey.models import Invitation, Round
from survey.recipients import is_valid_email


def lines(text: str | None) -> list[str]:
    return [line.strip() for line in (text or "").splitlines() if line.strip()]


def _email(_form, field) -> None:
    """The recipient lists' own rule, so a contact address is held to what a list is."""
    if field.data and not is_valid_email(field.data.strip()):
        raise ValidationError(_l("Write an e-mail address, such as anna.berg@kommun.se."))


class IdentityForm(StaffForm):
    """Who runs the round, as the mails and the respondent's pages name them."""

    organisation = StringField(
        _l("Organisation(s) running the survey"),
        validators=[Optional(), Length(max=max_length(Round.organisation))])
    contact_name = StringField(_l("Contact person's name"), validators=[
        Optional(), Length(max=max_length(Round.contact_name))])
    contact_email = StringField(_l("Contact person's e-mail address"), validators=[
        Optional(), _email,
        Length(max=max_length(Round.contact_email))])
    contact_phone = StringField(_l("Contact person's phone number"), validators=[
        Optional(), Length(max=max_length(Round.contact_phone))])
    sender_address = StringField(_l("Sender address of the mails"), validators=[
        Optional(), _email,
        Length(max=max_length(Round.sender_address))])
    support_sv = TextAreaField(_l("Support text in Swedish (empty: the default text)"),
                               validators=[Optional(), Length(max=4000)])
    support_en = TextAreaField(_l("Support text in English (empty: the default text)"),
                               validators=[Optional(), Length(max=4000)])

    def identity(self) -> dict[str, str | None]:
        return {name: self[name].data for name in IDENTITY}


def _dates_fit(form, field) -> None:
    """The operation's own date rules, with the other fields' messages, not after them: all
    of a form's mistakes at once. `form.round_state` is the round's ("draft" for a new one)."""
    field.errors.extend(date_problems(form.round_state, form.opens_on.data, field.data))


class RoundForm(IdentityForm):
    round_state = "draft"
    title = StringField(_l("Title"), validators=[DataRequired(),
                                                Length(max=max_length(Round.title))])
    reference_year = IntegerField(
        _l("Reference year (the year the questions ask about)"),
        validators=[InputRequired(), NumberRange(min=2000, max=2100)],
        default=lambda: dt.date.today().year - 1,
    )
    opens_on = DateField(_l("Opens (YYYY-MM-DD)"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes (YYYY-MM-DD)"),
                          validators=[InputRequired(), _dates_fit])
    municipalities = TextAreaField(_l("Municipalities, one per line"),
                                   validators=[DataRequired(), Length(max=20000)],
                                   default="Linköping\nNorrköping")
    groups = TextAreaField(_l("Groups, one per line"), validators=[DataRequired(),
                                                                    Length(max=2000)],
                           default="förtroendevald\nmedarbetare")
    min_cell_size = IntegerField(_l("Smallest group shown in results"), default=5,
                                 validators=[InputRequired(), NumberRange(min=1, max=100)])
    definition = FileField(_l("Questionnaire definition (YAML file; leave empty for the "
                              "built-in questionnaire)"))

    #: The uploaded questionnaire once it has validated; None means the built-in one.
    questionnaire: Questionnaire | None = None

    def validate_definition(self, field) -> None:
        """Every problem of an uploaded definition at once, each with its line, alongside
        the other fields' messages (the same loader and messages as `paverkan questionnaire
        check`; the request size limit keeps the file small)."""
        upload = field.data
        if not upload or not upload.filename:
            return
        try:
            self.questionnaire = questionnaires.loads(
                questionnaires.decode(upload.read(), upload.filename), upload.filename)
        except questionnaires.DefinitionError as error:
            for problem in error.problems:
                # The loader's message in the page's language, from our catalogue.
                message = problem.message.render(gettext)
                field.errors.append(
                    _l("Line %(line)s, column %(column)s: %(message)s", line=problem.line,
                       column=problem.column, message=message) if problem.line else message)
            raise StopValidation() from None

    def validate(self, extra_validators=None) -> bool:
        """The fields' own checks, then the operation's rules on the names (lengths, one
        line, groups the questionnaire knows), each message next to its field."""
        valid = super().validate(extra_validators)
        questionnaire = self.questionnaire or (
            None if self.definition.errors else questionnaires.load(
                questionnaires.DEFAULT_DEFINITION))
        problems = round_problems(title=self.title.data or "",
                                  municipalities=lines(self.municipalities.data),
                                  groups=lines(self.groups.data), questionnaire=questionnaire)
        for name, messages in problems.items():
            if not self[name].errors:  # a field's own message (too long, empty) comes first
                self[name].errors = list(messages)
        return valid and not any(problems.values())


class DatesForm(StaffForm):
    def __init__(self, round_: Round, **kwargs) -> None:
        super().__init__(obj=round_, **kwargs)
        self.round_state = round_.state

    opens_on = DateField(_l("Opens (YYYY-MM-DD)"), validators=[InputRequired()])
    closes_on = DateField(_l("Closes (YYYY-MM-DD)"),
                          validators=[InputRequired(), _dates_fit])


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


class FindRecipientForm(StaffForm):
    email = StringField(_l("E-mail address of the recipient"),
                        validators=[DataRequired(), Length(max=max_length(Invitation.email))])


class RecipientForm(StaffForm):
    """One recipient's correction; `current` is the address the admin looked up."""

    current = HiddenField(validators=[DataRequired()])
    email = StringField(_l("E-mail address"), validators=[
        DataRequired(), _email, Length(max=max_length(Invitation.email))])
    municipality = SelectField(_l("Municipality"))
    group = SelectField(_l("Group"))
    unit = StringField(_l("Unit (empty: no unit)"),
                       validators=[Optional(), Length(max=max_length(Invitation.unit))])

    @classmethod
    def for_round(cls, round_: Round, **kwargs) -> RecipientForm:
        form = cls(**kwargs)
        form.municipality.choices = list(round_.municipalities)
        form.group.choices = list(round_.groups)
        return form

    def correction(self) -> tuple[str, str, str, str | None]:
        return (self.email.data.strip(), self.municipality.data, self.group.data,
                (self.unit.data or "").strip() or None)


class ActionForm(StaffForm):
    """A button that changes something: only the CSRF token."""


class CloseForm(StaffForm):
    understood = BooleanField(
        _l("I understand that the addresses and links are erased for good and that the "
           "round cannot be opened again."),
        validators=[DataRequired(_l("Tick the box to confirm."))],
    )
