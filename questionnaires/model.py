"""The instrument as frozen dataclasses.

Every other layer (respondent forms, codebook, statistics, SPSS value labels) reads these
objects and never the YAML, so that a definition is parsed and validated in exactly one place
(:mod:`questionnaires.loader`).

Answer values are plain integers (codes), ``int`` for number questions, ``str`` for free text.
A variable that is absent from an answers mapping was not answered. Whether it was *asked*
follows from the conditions, which are deterministic functions of earlier answers, so
"not asked" and "skipped" never need to be stored: :meth:`Questionnaire.classify` recomputes
them from the answers.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cached_property, lru_cache

from questionnaires.expressions import Evaluation, Expression

Answer = int | str
Answers = Mapping[str, Answer]

#: Codes used in exported microdata for values that are not answers. Real answer codes are
#: non-negative, so these never collide with a definition's codes.
NOT_ASKED = -1
SKIPPED = -2

LANGUAGES = ("sv", "en")

#: The only placeholder texts may contain; see :meth:`Text.render`.
YEAR_PLACEHOLDER = "{year}"


@dataclass(frozen=True)
class Text:
    """A label in both languages; both are required by the validator."""

    sv: str
    en: str

    def __call__(self, lang: str) -> str:
        return self.en if lang == "en" else self.sv

    def render(self, lang: str, year: int | None = None) -> str:
        """The text as a respondent reads it, with ``{year}`` set to the round's reference year.

        Definitions say ``{year}`` instead of a number so that the same instrument (and so the
        same fingerprint) serves every year; without a year the placeholder stays visible.
        """
        text = self(lang)
        return text if year is None else text.replace(YEAR_PLACEHOLDER, str(year))


class QuestionType(enum.StrEnum):
    SINGLE = "single"
    MULTIPLE = "multiple"
    SCALE = "scale"
    GRID = "grid"
    NUMBER = "number"
    TEXT = "text"


class OptionRole(enum.StrEnum):
    """What kind of answer a code is. Non-substantive answers are real answers (the
    respondent chose them) but statistics drop them like missing values."""

    SUBSTANTIVE = "substantive"
    DONT_KNOW = "dont_know"
    REFUSED = "refused"


@dataclass(frozen=True)
class Option:
    code: int
    label: Text
    role: OptionRole = OptionRole.SUBSTANTIVE
    #: The option is offered only when this holds (earlier answers only), so that "what was
    #: the most serious incident" lists only the kinds the respondent reported.
    show_if: Expression | None = None

    @property
    def substantive(self) -> bool:
        return self.role is OptionRole.SUBSTANTIVE

    def is_offered(self, answers: Answers) -> bool:
        return self.show_if is None or bool(self.show_if.evaluate(answers))


@dataclass(frozen=True)
class Scale:
    """A named list of options shared by scale and grid questions.

    ``yes_codes`` (optional) are the substantive codes that count as "Ja" when a frequency
    item is collapsed into a 0/1 indicator (``<variable>_ja``) for the statistics.
    """

    name: str
    options: tuple[Option, ...]
    yes_codes: tuple[int, ...] = ()

    def option(self, code: int) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


class VariableKind(enum.StrEnum):
    CATEGORICAL = "categorical"  # single choice
    ORDINAL = "ordinal"  # scale, grid item
    BINARY = "binary"  # one option of a multiple-choice question: 0/1
    INTEGER = "integer"  # number
    TEXT = "text"  # free text
    DERIVED = "derived"  # computed 0/1 indicator


@dataclass(frozen=True)
class Variable:
    """One column of the tidy table and of every export."""

    name: str
    label: Text
    kind: VariableKind
    question_id: str
    options: tuple[Option, ...] = ()
    #: The condition under which the variable is asked: page and question ``show_if``
    #: combined with ``and``. ``None`` means always asked.
    asked_if: Expression | None = None
    sensitive: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    yes_codes: tuple[int, ...] = ()

    def option(self, code: int) -> Option | None:
        return self._options_by_code.get(code)

    def is_asked(self, answers: Answers) -> bool:
        return self.asked_if is None or bool(self.asked_if.evaluate(answers))

    def accepts(self, value: Answer, answers: Answers) -> bool:
        """Whether ``value`` is an answer this respondent could give: a code of an option
        that was not offered (its condition fails) is a contradiction, never an answer."""
        condition = self._offered_if.get(value) if isinstance(value, int) else None
        return condition is None or bool(condition.evaluate(answers))

    @cached_property
    def _options_by_code(self) -> dict[int, Option]:
        """Every answer sent is checked against its options (:meth:`accepts`, each page a
        respondent sends): found by code, not by a scan."""
        return {option.code: option for option in reversed(self.options)}

    @cached_property
    def _offered_if(self) -> dict[int, Expression]:
        """The conditions of the options that have one, by code: most variables have none."""
        return {code: option.show_if for code, option in self._options_by_code.items()
                if option.show_if is not None}


@dataclass(frozen=True)
class GridItem:
    variable: str
    label: Text


@dataclass(frozen=True)
class Question:
    id: str
    type: QuestionType
    text: Text
    help: Text | None = None
    #: single, multiple: the options; scale and grid: the scale's options.
    options: tuple[Option, ...] = ()
    scale: Scale | None = None
    #: grid only: the rows, each its own variable sharing the scale.
    items: tuple[GridItem, ...] = ()
    show_if: Expression | None = None
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None
    sensitive: bool = False
    #: the variables this question produces, in order (filled by the loader).
    variables: tuple[Variable, ...] = ()

    def offered_options(self, answers: Answers) -> tuple[Option, ...]:
        """The options shown to a respondent with these answers (see :attr:`Option.show_if`)."""
        return tuple(o for o in self.options if o.is_offered(answers))


@dataclass(frozen=True)
class Page:
    id: str
    title: Text
    intro: Text | None = None
    show_if: Expression | None = None
    questions: tuple[Question, ...] = ()

    def is_shown(self, answers: Answers) -> bool:
        return self.show_if is None or bool(self.show_if.evaluate(answers))


@dataclass(frozen=True)
class Derived:
    """A 0/1 indicator computed with the expression language.

    Its value is 1 when the expression holds, 0 when it does not and at least one referenced
    variable has a substantive answer, and missing when none has (nobody is counted as
    "not exposed" because they refused every exposure item).
    """

    name: str
    label: Text
    expression: Expression
    description: Text | None = None


@dataclass(frozen=True)
class Questionnaire:
    id: str
    title: Text
    pages: tuple[Page, ...]
    derived: tuple[Derived, ...] = ()
    scales: tuple[Scale, ...] = ()
    intro: Text | None = None
    #: canonical JSON (see :mod:`questionnaires.fingerprint`), kept so a round can freeze it.
    canonical_json: str = field(default="", compare=False, repr=False)
    fingerprint: str = field(default="", compare=False)

    # Cached: the statistics read these once per response, and the instance never changes.
    @cached_property
    def questions(self) -> tuple[Question, ...]:
        return tuple(q for p in self.pages for q in p.questions)

    @cached_property
    def variables(self) -> tuple[Variable, ...]:
        """Answer variables in questionnaire order (derived ones excluded)."""
        return tuple(v for q in self.questions for v in q.variables)

    def variable(self, name: str) -> Variable:
        return self._variable_index[name]

    def visible_pages(self, answers: Answers) -> tuple[Page, ...]:
        shown = Evaluation(answers)
        return tuple(p for p in self.pages if shown.holds(p.show_if))

    def classify(self, answers: Answers) -> dict[str, Answer]:
        """Every answer variable mapped to its answer, :data:`NOT_ASKED` or :data:`SKIPPED`."""
        result: dict[str, Answer] = {}
        for page in self.pages:
            page_shown = page.is_shown(answers)
            for question in page.questions:
                for var in question.variables:
                    if not (page_shown and var.is_asked(answers)):
                        result[var.name] = NOT_ASKED
                    elif var.name in answers:
                        result[var.name] = answers[var.name]
                    else:
                        result[var.name] = SKIPPED
        return result

    def derive(self, answers: Answers) -> dict[str, int | None]:
        """Derived indicators for one respondent, as the statistics and exports compute them."""
        values: dict[str, int | None] = {}
        index = self._variable_index
        substantive = {
            name
            for name, value in answers.items()
            if name in index and _is_substantive(index[name], value)
        }
        for d in self.derived:
            scope = {**answers, **{k: v for k, v in values.items() if v is not None}}
            if not (d.expression.variables & (substantive | set(values))):
                values[d.name] = None
                continue
            values[d.name] = 1 if d.expression.evaluate(scope) else 0
        return values

    @cached_property
    def _variable_index(self) -> dict[str, Variable]:
        return {v.name: v for v in self.variables}


def _is_substantive(variable: Variable, value: Answer) -> bool:
    if not variable.options or not isinstance(value, int):
        return True
    option = variable.option(value)
    return option is not None and option.substantive


#: The two options every multiple-choice option variable takes.
BINARY_OPTIONS = (
    Option(0, Text("Inte markerat", "Not selected")),
    Option(1, Text("Markerat", "Selected")),
)


@dataclass(frozen=True)
class ContextVariable:
    """A value conditions may read that is not a question: it comes from the invitation.

    Respondents are never asked their group or municipality again (the invitation's stratum
    already says it), yet section A asks elected officials and staff different questions, so
    callers put these values into the answers mapping before evaluating conditions.
    """

    name: str
    label: Text
    options: tuple[Option, ...] = ()

    def option(self, code: int) -> Option | None:
        return next((o for o in self.options if o.code == code), None)


GROUP_ELECTED = 1
GROUP_STAFF = 2

CONTEXT_VARIABLES = (
    ContextVariable(
        "group",
        Text("Grupp", "Group"),
        (
            Option(GROUP_ELECTED, Text("Förtroendevald", "Elected official")),
            Option(GROUP_STAFF, Text("Medarbetare", "Staff member")),
        ),
    ),
    #: the municipality's official four-digit code as an integer (Linköping 0580 is 580).
    ContextVariable("municipality", Text("Kommun (kommunkod)", "Municipality (code)")),
)


@lru_cache(maxsize=256)
def group_code(name: str) -> int | None:
    """The ``group`` code conditions read for a round's group name, matched by its label in
    either language ("förtroendevald", "Elected official"); ``None`` for a name that is no
    group of the instrument.

    The app (deciding which questions a respondent sees) and the statistics (deciding which
    answers were asked) both call this, so they can never disagree about who was asked.
    Remembered per name: a round has a few groups, and every page a respondent is shown
    asks several times.
    """
    wanted = name.strip().casefold()
    options = next(c for c in CONTEXT_VARIABLES if c.name == "group").options
    return next((o.code for o in options
                 if wanted in (o.label.sv.casefold(), o.label.en.casefold())), None)
