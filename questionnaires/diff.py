"""What changed between two versions of a questionnaire, and whether it breaks comparability.

A security unit rewording a question between years must learn whether last year's figures can
still sit beside this year's. *Structure* (variables, codes, types, conditions, derived
formulas, valid ranges) decides what the numbers mean; *wording* (texts, order, ids of pages
and questions) does not change a variable's meaning in the data, though a reader may still
want to judge a rewording.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

from questionnaires.fingerprint import canonical_data
from questionnaires.model import Option, Questionnaire, Variable


class ChangeKind(enum.StrEnum):
    """What changed. Structure: a variable or derived variable added or removed, or one of its
    properties changed; wording: a text, the order of the variables, or only ids and order."""

    VARIABLE_REMOVED = "variable removed"
    VARIABLE_ADDED = "variable added"
    TYPE = "type"
    CODE_REMOVED = "code removed"
    CODE_ADDED = "code added"
    CODE_ROLE = "code role"
    CODE_OFFERED_IF = "code offered if"
    ASKED_IF = "asked if"
    YES_CODES = "yes_codes"
    MINIMUM = "minimum"
    MAXIMUM = "maximum"
    MAX_LENGTH = "max_length"
    SENSITIVE = "sensitive"
    DERIVED_REMOVED = "derived removed"
    DERIVED_ADDED = "derived added"
    DERIVED_FORMULA = "derived formula"
    TEXT = "text"
    VARIABLE_ORDER = "variable order"
    ORDER_OR_IDS = "order or ids"


#: The variable's own properties compared as they are, each its own kind of change.
_COMPARED_AS_IS = {"yes_codes": ChangeKind.YES_CODES, "minimum": ChangeKind.MINIMUM,
                   "maximum": ChangeKind.MAXIMUM, "max_length": ChangeKind.MAX_LENGTH,
                   "sensitive": ChangeKind.SENSITIVE}


@dataclass(frozen=True)
class Change:
    """One change, as data, so that survey/ can word it in the reader's language; ``str()``
    words it in English for the CLI and for error messages.

    ``subject`` is the variable or derived variable (a text's path for ``TEXT``); ``code`` the
    answer code of the ``CODE_*`` kinds; ``before`` and ``after`` the values as the instrument
    has them: an expression's text (``None`` for asked of everyone or offered always), a
    ``(question type, variable kind)`` pair, an option role, a tuple of yes codes, a limit
    (``None`` for none), a flag, or a text (``None`` where there was none).
    """

    kind: ChangeKind
    subject: str = ""
    code: int | None = None
    before: Any = None
    after: Any = None

    def __str__(self) -> str:
        kind, name, before, after = self.kind, self.subject, self.before, self.after
        if kind in (ChangeKind.VARIABLE_REMOVED, ChangeKind.VARIABLE_ADDED,
                    ChangeKind.DERIVED_REMOVED, ChangeKind.DERIVED_ADDED):
            noun, verb = kind.value.split()
            return f"{noun} {name} {verb}"
        if kind is ChangeKind.TYPE:
            return f"{name}: type {'/'.join(before)} → {'/'.join(after)}"
        if kind in (ChangeKind.CODE_REMOVED, ChangeKind.CODE_ADDED):
            return f"{name}: code {self.code} {kind.value.split()[1]}"
        if kind is ChangeKind.CODE_ROLE:
            return f"{name}: code {self.code} role {before} → {after}"
        if kind is ChangeKind.CODE_OFFERED_IF:
            return f"{name}: code {self.code} offered if {before or 'always'} → {after or 'always'}"
        if kind is ChangeKind.ASKED_IF:
            return f"{name}: asked if {before or 'everyone'} → {after or 'everyone'}"
        if kind is ChangeKind.DERIVED_FORMULA:
            return f"derived {name}: formula {before} → {after}"
        if kind is ChangeKind.TEXT:
            return f"{name}: {before!r} → {after!r}"
        if kind is ChangeKind.VARIABLE_ORDER:
            return "the order of the variables changed"
        if kind is ChangeKind.ORDER_OR_IDS:
            return "the order of options or the ids of pages, questions or scales changed"
        # yes_codes, minimum, maximum, max_length, sensitive: named as the definition names them
        return f"{name}: {kind.value} {before} → {after}"


@dataclass(frozen=True)
class Diff:
    """The changes that alter what the data mean (``structure``) and those that do not."""

    structure: tuple[Change, ...]
    wording: tuple[Change, ...]

    @property
    def kind(self) -> str:
        """``"identical"``, ``"wording"`` (data stays comparable) or ``"structure"``."""
        if self.structure:
            return "structure"
        return "wording" if self.wording else "identical"

    def to_text(self) -> str:
        """The differences in English, a line each, for the CLI (a developer's tool)."""
        lines = [f"differences: {self.kind}"]
        lines += [f"structure: {change}" for change in self.structure]
        lines += [f"wording: {change}" for change in self.wording]
        return "\n".join(lines)


def diff(old: Questionnaire, new: Questionnaire) -> Diff:
    structure: list[Change] = []
    wording: list[Change] = []
    old_vars = {v.name: v for v in old.variables}
    new_vars = {v.name: v for v in new.variables}
    questions_old = {q.id: q for q in old.questions}
    questions_new = {q.id: q for q in new.questions}
    structure += [Change(ChangeKind.VARIABLE_REMOVED, n) for n in old_vars if n not in new_vars]
    structure += [Change(ChangeKind.VARIABLE_ADDED, n) for n in new_vars if n not in old_vars]
    for name in old_vars.keys() & new_vars.keys():
        a, b = old_vars[name], new_vars[name]
        qa, qb = questions_old[a.question_id], questions_new[b.question_id]
        structure += _variable_structure(name, a, b, qa.type, qb.type)
    structure.sort(key=str)

    old_derived = {d.name: d for d in old.derived}
    new_derived = {d.name: d for d in new.derived}
    structure += [Change(ChangeKind.DERIVED_REMOVED, n) for n in old_derived
                  if n not in new_derived]
    structure += [Change(ChangeKind.DERIVED_ADDED, n) for n in new_derived
                  if n not in old_derived]
    for name in old_derived.keys() & new_derived.keys():
        a, b = str(old_derived[name].expression), str(new_derived[name].expression)
        if a != b:
            structure.append(Change(ChangeKind.DERIVED_FORMULA, name, before=a, after=b))

    old_texts, new_texts = _texts(canonical_data(old)), _texts(canonical_data(new))
    for path in sorted(old_texts.keys() | new_texts.keys()):
        if old_texts.get(path) != new_texts.get(path):
            wording.append(Change(ChangeKind.TEXT, path, before=old_texts.get(path),
                                  after=new_texts.get(path)))
    common = [n for n in old_vars if n in new_vars]
    if common != [n for n in new_vars if n in old_vars]:
        wording.append(Change(ChangeKind.VARIABLE_ORDER))
    if old.fingerprint != new.fingerprint and not structure and not wording:
        wording.append(Change(ChangeKind.ORDER_OR_IDS))
    return Diff(tuple(structure), tuple(wording))


def _variable_structure(name: str, a: Variable, b: Variable, type_a, type_b) -> list[Change]:
    changes = []
    if a.kind != b.kind or type_a != type_b:
        changes.append(Change(ChangeKind.TYPE, name, before=(type_a, a.kind),
                              after=(type_b, b.kind)))
    codes_a = {o.code: o.role for o in a.options}
    codes_b = {o.code: o.role for o in b.options}
    for code in sorted(codes_a.keys() - codes_b.keys()):
        changes.append(Change(ChangeKind.CODE_REMOVED, name, code))
    for code in sorted(codes_b.keys() - codes_a.keys()):
        changes.append(Change(ChangeKind.CODE_ADDED, name, code))
    for code in sorted(codes_a.keys() & codes_b.keys()):
        if codes_a[code] != codes_b[code]:
            changes.append(Change(ChangeKind.CODE_ROLE, name, code, codes_a[code], codes_b[code]))
        offered_a, offered_b = (_offered_if(v.option(code)) for v in (a, b))
        if offered_a != offered_b:
            changes.append(Change(ChangeKind.CODE_OFFERED_IF, name, code, offered_a, offered_b))
    condition_a = str(a.asked_if) if a.asked_if else None
    condition_b = str(b.asked_if) if b.asked_if else None
    if condition_a != condition_b:
        changes.append(Change(ChangeKind.ASKED_IF, name, before=condition_a, after=condition_b))
    for attribute, kind in _COMPARED_AS_IS.items():
        if getattr(a, attribute) != getattr(b, attribute):
            changes.append(Change(kind, name, before=getattr(a, attribute),
                                  after=getattr(b, attribute)))
    return changes


def _offered_if(option: Option | None) -> str | None:
    """The condition the option is offered under; None when it is always offered."""
    return str(option.show_if) if option is not None and option.show_if else None


def _texts(data: Any, path: str = "") -> dict[str, str]:
    """Every Swedish and English text keyed by a readable path built from ids, not positions."""
    texts: dict[str, str] = {}
    if isinstance(data, dict):
        for key, value in data.items():
            if key in ("sv", "en") and isinstance(value, str):
                texts[f"{path} ({key})"] = value
            else:
                texts.update(_texts(value, f"{path}.{key}" if path else key))
    elif isinstance(data, list):
        for index, item in enumerate(data):
            ident = index
            if isinstance(item, dict):
                ident = next(
                    (item[k] for k in ("id", "name", "variable", "code") if k in item), index
                )
            texts.update(_texts(item, f"{path}[{ident}]"))
    return texts
