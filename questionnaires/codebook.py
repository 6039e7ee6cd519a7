"""The codebook: every variable of the tidy row with its question, codes and filter.

Built as data so that the exports (an xlsx sheet, SPSS value labels) and the Markdown printed
by ``paverkan questionnaire codebook`` say the same thing. "Who was asked" is given both as
the condition (exact, for researchers re-running filters) and in words (for everyone else).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from questionnaires import expressions as ex
from questionnaires.model import (
    CONTEXT_VARIABLES,
    NOT_ASKED,
    SKIPPED,
    ContextVariable,
    Option,
    OptionRole,
    Questionnaire,
    Text,
    Variable,
    VariableKind,
)
from questionnaires.tidy import YES_SUFFIX, collapse_label

#: 0/1 labels of derived indicators and ``_ja`` collapses.
INDICATOR_OPTIONS = (Option(0, Text("Nej", "No")), Option(1, Text("Ja", "Yes")))

EVERYONE = Text("Alla", "Everyone")

#: The names of types, kinds and roles as a reader of each language's codebook sees them
#: (a Swedish codebook says "matris", never "grid").
TYPE_NAMES = {
    "single": Text("enkelval", "single choice"),
    "multiple": Text("flerval", "multiple choice"),
    "scale": Text("skala", "scale"),
    "grid": Text("matris", "grid"),
    "number": Text("tal", "number"),
    "text": Text("fritext", "free text"),
    "derived": Text("beräknad", "derived"),
    "collapse": Text("hopslagen till ja/nej", "collapsed to yes/no"),
}
KIND_NAMES = {
    VariableKind.CATEGORICAL: Text("kategorisk", "categorical"),
    VariableKind.ORDINAL: Text("ordinalskala", "ordinal"),
    VariableKind.BINARY: Text("markerat/inte markerat (0/1)", "selected/not selected (0/1)"),
    VariableKind.INTEGER: Text("heltal", "integer"),
    VariableKind.TEXT: Text("text", "text"),
    VariableKind.DERIVED: Text("indikator (0/1)", "indicator (0/1)"),
}
ROLE_NAMES = {
    OptionRole.SUBSTANTIVE: Text("sakligt svar", "substantive"),
    OptionRole.DONT_KNOW: Text("vet inte", "don't know"),
    OptionRole.REFUSED: Text("vill inte svara", "refused"),
}


@dataclass(frozen=True)
class CodebookEntry:
    """One column of the tidy row."""

    variable: str
    label: Text
    #: ``single``, ``multiple``, ``scale``, ``grid``, ``number``, ``text``; ``derived`` or
    #: ``collapse`` (``<variable>_ja``) for computed indicators.
    type: str
    kind: VariableKind
    question_id: str | None = None
    question: Text | None = None
    codes: tuple[Option, ...] = ()
    #: canonical condition, ``None`` when everyone was asked.
    asked_if: str | None = None
    asked: Text = EVERYONE
    #: codes offered only under a condition: (code, canonical condition, condition in words).
    offered_if: tuple[tuple[int, str, Text], ...] = ()
    #: computed indicators only: the formula and the formula in words.
    formula: str | None = None
    formula_words: Text | None = None
    description: Text | None = None
    sensitive: bool = False
    minimum: int | None = None
    maximum: int | None = None
    max_length: int | None = None


@dataclass(frozen=True)
class Codebook:
    questionnaire_id: str
    title: Text
    fingerprint: str
    entries: tuple[CodebookEntry, ...]
    context: tuple[ContextVariable, ...] = CONTEXT_VARIABLES

    def entry(self, variable: str) -> CodebookEntry:
        return next(e for e in self.entries if e.variable == variable)

    def to_markdown(self, lang: str = "sv") -> str:
        return _markdown(self, lang)


def build(questionnaire: Questionnaire) -> Codebook:
    lookup = _lookup(questionnaire)
    entries: list[CodebookEntry] = []
    for question in questionnaire.questions:
        for variable in question.variables:
            condition = variable.asked_if
            entries.append(
                CodebookEntry(
                    variable=variable.name,
                    label=variable.label,
                    type=question.type.value,
                    kind=variable.kind,
                    question_id=question.id,
                    question=question.text,
                    codes=variable.options,
                    asked_if=str(condition) if condition else None,
                    asked=describe(condition, lookup) if condition else EVERYONE,
                    offered_if=tuple(
                        (o.code, str(o.show_if), describe(o.show_if, lookup))
                        for o in variable.options
                        if o.show_if is not None
                    ),
                    sensitive=variable.sensitive,
                    minimum=variable.minimum,
                    maximum=variable.maximum,
                    max_length=variable.max_length,
                )
            )
            if variable.yes_codes:
                entries.append(_collapse_entry(variable, lookup))
    for derived in questionnaire.derived:
        entries.append(
            CodebookEntry(
                variable=derived.name,
                label=derived.label,
                type="derived",
                kind=VariableKind.DERIVED,
                codes=INDICATOR_OPTIONS,
                formula=str(derived.expression),
                formula_words=describe(derived.expression, lookup),
                description=derived.description,
            )
        )
    return Codebook(
        questionnaire.id, questionnaire.title, questionnaire.fingerprint, tuple(entries)
    )


def _collapse_entry(variable: Variable, lookup) -> CodebookEntry:
    formula = ex.In(ex.Name(variable.name), variable.yes_codes)
    return CodebookEntry(
        variable=variable.name + YES_SUFFIX,
        label=collapse_label(variable),
        type="collapse",
        kind=VariableKind.DERIVED,
        question_id=variable.question_id,
        codes=INDICATOR_OPTIONS,
        asked_if=str(variable.asked_if) if variable.asked_if else None,
        asked=describe(variable.asked_if, lookup) if variable.asked_if else EVERYONE,
        formula=str(formula),
        formula_words=describe(formula, lookup),
    )


Lookup = Callable[[str], Variable | ContextVariable | None]


def _lookup(questionnaire: Questionnaire) -> Lookup:
    known: dict[str, Variable | ContextVariable] = {v.name: v for v in questionnaire.variables}
    known.update({c.name: c for c in CONTEXT_VARIABLES})
    return known.get


# -- conditions in words -------------------------------------------------------------------

_OPERATOR_WORDS = {
    "==": ("är", "is"),
    "!=": ("är inte", "is not"),
    "<": ("är mindre än", "is less than"),
    "<=": ("är högst", "is at most"),
    ">": ("är större än", "is greater than"),
    ">=": ("är minst", "is at least"),
}


def describe(expression: ex.Expression, lookup: Lookup) -> Text:
    """A condition in plain words, codes shown with their labels."""
    return Text(_words(expression, lookup, "sv"), _words(expression, lookup, "en"))


def _words(node: ex.Expression, lookup: Lookup, lang: str) -> str:
    sv = lang == "sv"

    def nested(child: ex.Expression) -> str:
        text = _words(child, lookup, lang)
        compound = isinstance(child, ex.And | ex.Or | ex.AnyOf | ex.Not)
        return f"({text})" if compound else text

    def value(operand: ex.Expression) -> str:
        return operand.name if isinstance(operand, ex.Name) else _words(operand, lookup, lang)

    if isinstance(node, ex.Name):
        return f"{node.name} {'är' if sv else 'is'} {_code(lookup, node.name, 1, lang)}"
    if isinstance(node, ex.Literal):
        return str(node.number)
    if isinstance(node, ex.Answered):
        return f"{node.operand.name} {'är besvarad' if sv else 'was answered'}"
    if isinstance(node, ex.Not):
        return f"{'inte' if sv else 'not'} {nested(node.operand)}"
    if isinstance(node, ex.And | ex.Or):
        joiner = {True: (" och ", " eller "), False: (" and ", " or ")}[sv]
        word = joiner[0] if isinstance(node, ex.And) else joiner[1]
        return word.join(nested(o) for o in node.operands)
    if isinstance(node, ex.AnyOf) and _same_codes(node.operands):
        first = node.operands[0]
        assert isinstance(first, ex.In)
        names = ", ".join(value(o.operand) for o in node.operands if isinstance(o, ex.In))
        rest = _words(first, lookup, lang).removeprefix(value(first.operand))
        return f"{'minst en av' if sv else 'at least one of'} {names}{rest}"
    if isinstance(node, ex.AnyOf):
        intro = "minst ett av följande: " if sv else "at least one of: "
        return intro + "; ".join(nested(o) for o in node.operands)
    if isinstance(node, ex.CountOf):
        intro = "antalet som gäller av: " if sv else "the number that hold of: "
        return "(" + intro + "; ".join(nested(o) for o in node.operands) + ")"
    if isinstance(node, ex.In):
        name = node.operand.name if isinstance(node.operand, ex.Name) else None
        codes = [_code(lookup, name, c, lang) for c in node.codes]
        subject = value(node.operand)
        if len(codes) == 1:
            verb = ("är inte" if sv else "is not") if node.negated else ("är" if sv else "is")
            return f"{subject} {verb} {codes[0]}"
        if node.negated:
            verb = "är inget av" if sv else "is none of"
        else:
            verb = "är något av" if sv else "is one of"
        return f"{subject} {verb} {', '.join(codes)}"
    assert isinstance(node, ex.Compare)
    left, right = node.left, node.right
    name = left.name if isinstance(left, ex.Name) else None
    right_text = (
        _code(lookup, name, right.number, lang)
        if isinstance(right, ex.Literal) and node.operator in ("==", "!=")
        else value(right)
    )
    verb = _OPERATOR_WORDS[node.operator][0 if sv else 1]
    return f"{value(left)} {verb} {right_text}"


def _same_codes(operands: tuple[ex.Expression, ...]) -> bool:
    """``any(b1 in (1, 2), b2 in (1, 2))``: worth saying once as "b1, b2 is one of 1, 2"."""
    shapes = {
        (o.codes, o.negated) if isinstance(o, ex.In) and isinstance(o.operand, ex.Name) else None
        for o in operands
    }
    return len(operands) > 1 and len(shapes) == 1 and None not in shapes


def _code(lookup: Lookup, name: str | None, code: int, lang: str) -> str:
    variable = lookup(name) if name else None
    option = variable.option(code) if variable is not None else None
    return f'{code} "{option.label(lang)}"' if option else str(code)


# -- Markdown ------------------------------------------------------------------------------

_HEADINGS = {
    "sv": {
        "codebook": "kodbok",
        "fingerprint": "Fingeravtryck",
        "missing": (
            f"Saknade värden: {NOT_ASKED} = inte tillfrågad (filtrerades bort av ett villkor), "
            f"{SKIPPED} = tillfrågad men hoppade över frågan. Beräknade indikatorer saknar "
            "värde när inget underliggande svar är ett sakligt svar."
        ),
        "year": "{year} i texterna ersätts med omgångens referensår.",
        "context": "Kontextvariabler (från inbjudan, inte frågor)",
        "variables": "Variabler",
        "question": "Fråga",
        "type": "Typ",
        "asked": "Tillfrågade",
        "formula": "Formel",
        "description": "Beskrivning",
        "codes": "Koder",
        "code": "Kod",
        "label": "Etikett",
        "role": "Roll",
        "offered": "Erbjuds om",
        "sensitive": "Känslig: fritext och liknande visas aldrig i resultat, bara för forskare.",
        "range": "Giltiga värden",
        "max_length": "Högst antal tecken",
        "derived": "Beräknade variabler",
    },
    "en": {
        "codebook": "codebook",
        "fingerprint": "Fingerprint",
        "missing": (
            f"Missing values: {NOT_ASKED} = not asked (filtered out by a condition), "
            f"{SKIPPED} = asked but skipped. Computed indicators are empty when no underlying "
            "answer is substantive."
        ),
        "year": "{year} in the texts is replaced by the round's reference year.",
        "context": "Context variables (from the invitation, not questions)",
        "variables": "Variables",
        "question": "Question",
        "type": "Type",
        "asked": "Asked",
        "formula": "Formula",
        "description": "Description",
        "codes": "Codes",
        "code": "Code",
        "label": "Label",
        "role": "Role",
        "offered": "Offered if",
        "sensitive": "Sensitive: never shown in results, for researchers only.",
        "range": "Valid values",
        "max_length": "Maximum length",
        "derived": "Computed variables",
    },
}


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(codebook: Codebook, lang: str) -> str:
    h = _HEADINGS["en" if lang == "en" else "sv"]
    lines = [
        f"# {codebook.title(lang)} – {h['codebook']}",
        "",
        f"{h['fingerprint']}: `{codebook.fingerprint}`",
        "",
        h["missing"],
        "",
        h["year"],
        "",
        f"## {h['context']}",
        "",
    ]
    for context in codebook.context:
        codes = ", ".join(f'{o.code} "{o.label(lang)}"' for o in context.options)
        codes = f" ({codes})" if codes else ""
        lines.append(f"- `{context.name}`: {context.label(lang)}{codes}")
    lines += ["", f"## {h['variables']}", ""]
    computed = [e for e in codebook.entries if e.type == "derived"]
    for entry in codebook.entries:
        if entry.type != "derived":
            lines += _entry_markdown(entry, lang, h)
    lines += [f"## {h['derived']}", ""]
    for entry in computed:
        lines += _entry_markdown(entry, lang, h)
    return "\n".join(lines).rstrip() + "\n"


def type_name(entry: CodebookEntry, lang: str) -> str:
    """The entry's question type and, where it adds something, the kind of its values."""
    kind = KIND_NAMES[entry.kind](lang)
    name = TYPE_NAMES[entry.type](lang)
    return name if kind == name else f"{name} ({kind})"


def _entry_markdown(entry: CodebookEntry, lang: str, h: dict[str, str]) -> list[str]:
    lines = [f"### {entry.variable}", "", f"{entry.label(lang)}", ""]
    if entry.question is not None and entry.question != entry.label:
        lines.append(f"- {h['question']}: {entry.question(lang)}")
    lines.append(f"- {h['type']}: {type_name(entry, lang)}")
    if entry.formula is not None and entry.formula_words is not None:
        lines.append(f"- {h['formula']}: `{entry.formula}` – {entry.formula_words(lang)}")
    if entry.description is not None:
        lines.append(f"- {h['description']}: {entry.description(lang)}")
    if entry.type != "derived":
        condition = f" – `{entry.asked_if}`" if entry.asked_if else ""
        lines.append(f"- {h['asked']}: {entry.asked(lang)}{condition}")
    if entry.minimum is not None or entry.maximum is not None:
        low = "" if entry.minimum is None else entry.minimum
        high = "" if entry.maximum is None else entry.maximum
        lines.append(f"- {h['range']}: {low}–{high}")
    if entry.max_length is not None:
        lines.append(f"- {h['max_length']}: {entry.max_length}")
    if entry.sensitive:
        lines.append(f"- {h['sensitive']}")
    if entry.codes and entry.offered_if:
        offered = {code: f"`{condition}` – {words(lang)}" for code, condition, words in
                   entry.offered_if}
        lines += [
            "",
            f"| {h['code']} | {h['label']} | {h['role']} | {h['offered']} |",
            "|---:|---|---|---|",
            *(f"| {o.code} | {_cell(o.label(lang))} | {ROLE_NAMES[o.role](lang)} | "
              f"{_cell(offered.get(o.code, ''))} |" for o in entry.codes),
        ]
    elif entry.codes:
        lines += [
            "",
            f"| {h['code']} | {h['label']} | {h['role']} |",
            "|---:|---|---|",
            *(f"| {o.code} | {_cell(o.label(lang))} | {ROLE_NAMES[o.role](lang)} |"
              for o in entry.codes),
        ]
    lines.append("")
    return lines
