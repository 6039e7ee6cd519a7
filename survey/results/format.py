"""Numbers as the page's language writes them: "31,4 %" in Swedish, "31.4 %" in English."""

from __future__ import annotations

from babel.numbers import format_decimal

from survey.i18n import current_language


def percent(value: float | None, digits: int = 1) -> str:
    if value is None:
        return "–"
    pattern = "0." + "0" * digits if digits else "0"
    return f"{format_decimal(value * 100, format=pattern, locale=current_language())} %"


def interval(lower: float | None, upper: float | None) -> str:
    if lower is None or upper is None:
        return "–"
    return f"{percent(lower)[:-2]}–{percent(upper)}"


def number(value: float | None, digits: int = 3) -> str:
    if value is None:
        return "–"
    return format_decimal(value, format="0." + "0" * digits, locale=current_language())


def p_value(value: float | None) -> str:
    if value is None:
        return "–"
    if value < 0.001:
        return "< " + number(0.001)
    return number(value)
