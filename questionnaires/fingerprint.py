"""Canonical JSON of a questionnaire and its SHA-256 fingerprint.

A round freezes the canonical JSON, every response carries the fingerprint, and comparisons
refuse data from different fingerprints. So the canonical form must depend only on what the
instrument *is*: it is built from the validated dataclasses (never from the YAML text), with
sorted keys, no whitespace and conditions in their canonical spelling. Comments, key order,
quoting and line breaks in the YAML therefore cannot change it; every variable, code, type,
condition and label does. Its shape is the YAML format's, so the loader reads it back
(:func:`questionnaires.from_canonical_json`).
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from questionnaires.model import Option, Page, Question, Questionnaire, Scale, Text


def canonical_data(questionnaire: Questionnaire) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": questionnaire.id,
        "title": _text(questionnaire.title),
        "scales": {s.name: _scale(s) for s in questionnaire.scales},
        "pages": [_page(p) for p in questionnaire.pages],
    }
    # Left out when empty, as the loader requires of a written definition, so that every
    # canonical form loads back (a round rebuilds its instrument from it).
    if questionnaire.derived:
        data["derived"] = [
            _without_none(
                {
                    "name": d.name,
                    "label": _text(d.label),
                    "description": _text(d.description) if d.description else None,
                    "expression": str(d.expression),
                }
            )
            for d in questionnaire.derived
        ]
    if questionnaire.intro is not None:
        data["intro"] = _text(questionnaire.intro)
    return data


def canonical_json(questionnaire: Questionnaire) -> str:
    return json.dumps(
        canonical_data(questionnaire), sort_keys=True, separators=(",", ":"), ensure_ascii=False
    )


def fingerprint_of(canonical: str) -> str:
    """Hex SHA-256 of the UTF-8 canonical JSON."""
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _text(text: Text) -> dict[str, str]:
    return {"sv": text.sv, "en": text.en}


def _option(option: Option) -> dict[str, Any]:
    data = {"code": option.code, **_text(option.label), "role": option.role.value}
    if option.show_if is not None:
        data["show_if"] = str(option.show_if)
    return data


def _scale(scale: Scale) -> dict[str, Any]:
    data: dict[str, Any] = {"options": [_option(o) for o in scale.options]}
    if scale.yes_codes:
        data["yes_codes"] = list(scale.yes_codes)
    return data


def _page(page: Page) -> dict[str, Any]:
    return _without_none(
        {
            "id": page.id,
            "title": _text(page.title),
            "intro": _text(page.intro) if page.intro else None,
            "show_if": str(page.show_if) if page.show_if else None,
            "questions": [_question(q) for q in page.questions],
        }
    )


def _question(question: Question) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": question.id,
        "type": question.type.value,
        "text": _text(question.text),
        "help": _text(question.help) if question.help else None,
        "show_if": str(question.show_if) if question.show_if else None,
        "sensitive": question.sensitive,
        "min": question.minimum,
        "max": question.maximum,
        "max_length": question.max_length,
    }
    if question.scale is not None:
        data["scale"] = question.scale.name
    elif question.options:
        data["options"] = [_option(o) for o in question.options]
    if question.items:
        data["items"] = [{"variable": i.variable, **_text(i.label)} for i in question.items]
    return _without_none(data)


def _without_none(data: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in data.items() if v is not None}
