"""What changed between two versions of a questionnaire, and whether it breaks comparability.

A security unit rewording a question between years must learn whether last year's figures can
still sit beside this year's. *Structure* (variables, codes, types, conditions, derived
formulas, valid ranges) decides what the numbers mean; *wording* (texts, order, ids of pages
and questions) does not change a variable's meaning in the data, though a reader may still
want to judge a rewording.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from questionnaires.fingerprint import canonical_data
from questionnaires.model import Option, Questionnaire, Variable


@dataclass(frozen=True)
class Diff:
    structure: tuple[str, ...]
    wording: tuple[str, ...]

    @property
    def kind(self) -> str:
        """``"identical"``, ``"wording"`` (data stays comparable) or ``"structure"``."""
        if self.structure:
            return "structure"
        return "wording" if self.wording else "identical"

    def to_text(self) -> str:
        lines = [f"differences: {self.kind}"]
        lines += [f"structure: {line}" for line in self.structure]
        lines += [f"wording: {line}" for line in self.wording]
        return "\n".join(lines)


def diff(old: Questionnaire, new: Questionnaire) -> Diff:
    structure: list[str] = []
    wording: list[str] = []
    old_vars = {v.name: v for v in old.variables}
    new_vars = {v.name: v for v in new.variables}
    questions_old = {q.id: q for q in old.questions}
    questions_new = {q.id: q for q in new.questions}
    structure += [f"variable {n} removed" for n in old_vars if n not in new_vars]
    structure += [f"variable {n} added" for n in new_vars if n not in old_vars]
    for name in old_vars.keys() & new_vars.keys():
        a, b = old_vars[name], new_vars[name]
        qa, qb = questions_old[a.question_id], questions_new[b.question_id]
        structure += _variable_structure(name, a, b, qa.type, qb.type)
    structure.sort()

    old_derived = {d.name: d for d in old.derived}
    new_derived = {d.name: d for d in new.derived}
    structure += [f"derived {n} removed" for n in old_derived if n not in new_derived]
    structure += [f"derived {n} added" for n in new_derived if n not in old_derived]
    for name in old_derived.keys() & new_derived.keys():
        a, b = str(old_derived[name].expression), str(new_derived[name].expression)
        if a != b:
            structure.append(f"derived {name}: formula {a} → {b}")

    old_texts, new_texts = _texts(canonical_data(old)), _texts(canonical_data(new))
    for path in sorted(old_texts.keys() | new_texts.keys()):
        if old_texts.get(path) != new_texts.get(path):
            wording.append(f"{path}: {old_texts.get(path)!r} → {new_texts.get(path)!r}")
    common = [n for n in old_vars if n in new_vars]
    if common != [n for n in new_vars if n in old_vars]:
        wording.append("the order of the variables changed")
    if old.fingerprint != new.fingerprint and not structure and not wording:
        wording.append("the order of options or the ids of pages, questions or scales changed")
    return Diff(tuple(structure), tuple(wording))


def _variable_structure(name: str, a: Variable, b: Variable, type_a, type_b) -> list[str]:
    changes = []
    if a.kind != b.kind or type_a != type_b:
        changes.append(f"{name}: type {type_a}/{a.kind} → {type_b}/{b.kind}")
    codes_a = {o.code: o.role for o in a.options}
    codes_b = {o.code: o.role for o in b.options}
    for code in sorted(codes_a.keys() - codes_b.keys()):
        changes.append(f"{name}: code {code} removed")
    for code in sorted(codes_b.keys() - codes_a.keys()):
        changes.append(f"{name}: code {code} added")
    for code in sorted(codes_a.keys() & codes_b.keys()):
        if codes_a[code] != codes_b[code]:
            changes.append(f"{name}: code {code} role {codes_a[code]} → {codes_b[code]}")
        offered_a, offered_b = (_offered_if(v.option(code)) for v in (a, b))
        if offered_a != offered_b:
            changes.append(f"{name}: code {code} offered if {offered_a} → {offered_b}")
    condition_a = str(a.asked_if) if a.asked_if else "everyone"
    condition_b = str(b.asked_if) if b.asked_if else "everyone"
    if condition_a != condition_b:
        changes.append(f"{name}: asked if {condition_a} → {condition_b}")
    for attribute in ("yes_codes", "minimum", "maximum", "max_length", "sensitive"):
        if getattr(a, attribute) != getattr(b, attribute):
            changes.append(f"{name}: {attribute} {getattr(a, attribute)} → {getattr(b, attribute)}")
    return changes


def _offered_if(option: Option | None) -> str:
    return str(option.show_if) if option is not None and option.show_if else "always"


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
