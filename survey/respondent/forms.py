"""WTForms forms generated from one page of the instrument.

Fields parse what the browser sent strictly: a code that is not one of the question's
options, a number outside its range or a text beyond its length becomes a message next to
the field, never an exception and never a stored value.
"""

from __future__ import annotations

from dataclasses import dataclass

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import Field

from questionnaires.model import Answers, Option, Page, Question, QuestionType

#: A free-text answer without its own limit in the definition.
DEFAULT_MAX_LENGTH = 2000


class _Answer(Field):
    """A field rendered by our templates (not by WTForms widgets).

    ``options`` are the options this respondent is offered (an option's condition may hide
    it); a code outside them is refused like any code that is not an option, so a tampered
    form cannot store an answer that contradicts earlier ones.
    """

    def __init__(self, question: Question, options: tuple[Option, ...] = (), **kwargs) -> None:
        # No label: the templates label each control from the questionnaire, and WTForms
        # would otherwise translate a title-cased field name for every field of every page.
        super().__init__(label="", **kwargs)
        self.question = question
        self.options = options

    def answers(self) -> dict:
        """The variables this field sets, by name; unanswered ones are absent."""
        raise NotImplementedError

    @property
    def blank(self) -> bool:
        """Nothing to show in it: no answer (0 is one), nothing typed, no error."""
        return self.data in (None, []) and not self.raw_data and not self.errors


class ChoiceField(_Answer):
    """One option of a single-choice or scale question, or one grid row."""

    def __init__(self, question: Question, variable: str, options, **kwargs) -> None:
        super().__init__(question, options, **kwargs)
        self.variable = variable

    def process_formdata(self, valuelist) -> None:
        raw = valuelist[-1] if valuelist else ""
        if raw == "":
            self.data = None
            return
        code = _int(raw)
        if code not in {option.code for option in self.options}:
            self.data = None
            raise ValueError(_("Choose one of the options shown."))
        self.data = code

    def answers(self) -> dict:
        return {} if self.data is None else {self.variable: self.data}


class MultipleField(_Answer):
    """A multiple-choice question: every option is a 0/1 variable ``<question>_<code>``."""

    def process_formdata(self, valuelist) -> None:
        codes = {_int(raw) for raw in valuelist}
        allowed = {option.code for option in self.options}
        if not codes <= allowed:
            self.data = None
            raise ValueError(_("Choose among the options shown."))
        self.data = sorted(codes)
        exclusive = [o for o in self.options if not o.substantive and o.code in codes]
        if exclusive and len(codes) > 1:
            raise ValueError(
                _(
                    "“%(option)s” cannot be combined with other answers.",
                    option=exclusive[0].label(get_locale().language),
                )
            )

    def answers(self) -> dict:
        if not self.data:
            return {}
        return {f"{self.question.id}_{o.code}": int(o.code in self.data) for o in self.options}


class NumberField(_Answer):
    def process_formdata(self, valuelist) -> None:
        raw = (valuelist[-1] if valuelist else "").strip()
        if raw == "":
            self.data = None
            return
        number = _int(raw)
        if number is None:
            self.data = None
            raise ValueError(_("Write a whole number, using digits only."))
        low, high = self.question.minimum, self.question.maximum
        if (low is not None and number < low) or (high is not None and number > high):
            self.data = None
            raise ValueError(
                _("Write a number from %(low)s to %(high)s.", low=low or 0, high=high or "∞")
            )
        self.data = number

    def answers(self) -> dict:
        return {} if self.data is None else {self.question.id: self.data}


class TextField(_Answer):
    @property
    def max_length(self) -> int:
        return self.question.max_length or DEFAULT_MAX_LENGTH

    def process_formdata(self, valuelist) -> None:
        text = (valuelist[-1] if valuelist else "").replace("\r\n", "\n").strip()
        self.data = text or None
        if len(text) > self.max_length:
            raise ValueError(
                _(
                    "The text is too long: at most %(max)s characters, you wrote %(count)s."
                    " Shorten it and send again.",
                    max=self.max_length,
                    count=len(text),
                )
            )

    def answers(self) -> dict:
        return {} if self.data is None else {self.question.id: self.data}


def _int(raw: str) -> int | None:
    raw = raw.strip()
    if not raw.lstrip("-").isdigit() or len(raw) > 9:
        return None
    return int(raw)


class PageForm(FlaskForm):
    """Base of the generated forms; which button was pressed comes as ``action``.

    Without a CSRF field of its own: the app checks every POST's token before any view
    (survey/app.py), and the page's hidden field is the template's ``csrf_token()``."""

    class Meta:
        csrf = False

    def answer_fields(self) -> list[_Answer]:
        return [f for f in self if isinstance(f, _Answer)]

    def fields_of(self, question: Question) -> list[_Answer]:
        if question.type is QuestionType.GRID:
            return [self[item.variable] for item in question.items]
        return [self[question.id]]

    def answers(self) -> dict:
        result: dict = {}
        for answer_field in self.answer_fields():
            result.update(answer_field.answers())
        return result


@dataclass(frozen=True)
class PageFill:
    """What a page shows this respondent: the options each question offers them (``scope``,
    earlier answers and the context variables, decides: an option's condition may hide it) and
    the answers already given, by field name."""

    offered: list[tuple[Option, ...]]
    values: dict

    @property
    def blank(self) -> bool:
        """Nothing answered on the page yet."""
        return all(value in (None, []) for value in self.values.values())

    def options_key(self) -> tuple:
        return tuple(tuple(option.code for option in options) for options in self.offered)


def page_fill(questions: list[Question], answers: dict, scope: Answers) -> PageFill:
    offered = [question.offered_options(scope) for question in questions]
    values: dict = {}
    for question, options in zip(questions, offered, strict=True):
        values.update(_values(question, options, answers))
    return PageFill(offered, values)


def page_form(page: Page, questions: list[Question], fill: PageFill, formdata=None) -> PageForm:
    """A form for the questions of ``page`` this respondent is asked, filled as ``fill`` says."""
    return _form_class(page, questions, fill)(formdata=formdata, data=fill.values)


#: Generated form classes by page, questions asked and options offered: WTForms inspects a
#: new class on its first use, which costs more than the rest of the page's form. An entry
#: holds its page, so the page's id in the key cannot be reused by another page meanwhile.
_FORM_CLASSES: dict[tuple, tuple[Page, type[PageForm]]] = {}
_FORM_CLASSES_KEPT = 512


def _form_class(page: Page, questions: list[Question], fill: PageFill) -> type[PageForm]:
    key = (id(page), tuple(q.id for q in questions), fill.options_key())
    entry = _FORM_CLASSES.get(key)
    if entry is None or entry[0] is not page:
        fields: dict[str, Field] = {}
        for question, options in zip(questions, fill.offered, strict=True):
            fields.update(_fields(question, options))
        if len(_FORM_CLASSES) >= _FORM_CLASSES_KEPT:
            _FORM_CLASSES.clear()
        entry = _FORM_CLASSES[key] = (page, type(f"Page_{page.id}", (PageForm,), fields))
    return entry[1]


def _fields(question: Question, options: tuple[Option, ...]) -> dict[str, Field]:
    if question.type is QuestionType.GRID:
        return {item.variable: ChoiceField(question, item.variable, options)
                for item in question.items}
    if question.type is QuestionType.MULTIPLE:
        return {question.id: MultipleField(question, options)}
    if question.type is QuestionType.NUMBER:
        return {question.id: NumberField(question)}
    if question.type is QuestionType.TEXT:
        return {question.id: TextField(question)}
    return {question.id: ChoiceField(question, question.id, options)}


def _values(question: Question, options: tuple[Option, ...], answers: dict) -> dict:
    if question.type is QuestionType.GRID:
        return {item.variable: answers.get(item.variable) for item in question.items}
    if question.type is QuestionType.MULTIPLE:
        return {question.id: [o.code for o in options
                              if answers.get(f"{question.id}_{o.code}") == 1]}
    return {question.id: answers.get(question.id)}
