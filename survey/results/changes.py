"""What changed in a questionnaire's structure between two rounds, worded in the reader's
language from the catalogue: ``questionnaires.diff`` hands the changes over as data (it knows
no Flask), and the Över tid page and the report workbook say why an earlier round is not
compared. Expressions stay as the definition writes them ("group == 2"): they are the
instrument's own syntax, as are the question types and variable kinds."""

from __future__ import annotations

from collections.abc import Sequence

from flask_babel import gettext as _

from questionnaires import Change, ChangeKind


def describe(change: Change) -> str:
    """One structural change as a sentence in the current language."""
    kind, values = change.kind, {"variable": change.subject, "code": change.code}
    before, after = change.before, change.after
    match kind:
        case ChangeKind.VARIABLE_REMOVED:
            return _("Variable %(variable)s removed", **values)
        case ChangeKind.VARIABLE_ADDED:
            return _("Variable %(variable)s added", **values)
        case ChangeKind.DERIVED_REMOVED:
            return _("Computed variable %(variable)s removed", **values)
        case ChangeKind.DERIVED_ADDED:
            return _("Computed variable %(variable)s added", **values)
        case ChangeKind.DERIVED_FORMULA:
            return _("Computed variable %(variable)s: formula %(before)s → %(after)s",
                     before=before, after=after, **values)
        case ChangeKind.TYPE:
            return _("%(variable)s: question type %(before)s → %(after)s",
                     before="/".join(before), after="/".join(after), **values)
        case ChangeKind.CODE_REMOVED:
            return _("%(variable)s: answer code %(code)s removed", **values)
        case ChangeKind.CODE_ADDED:
            return _("%(variable)s: answer code %(code)s added", **values)
        case ChangeKind.CODE_ROLE:
            return _("%(variable)s: answer code %(code)s counted as %(before)s → %(after)s",
                     before=_role(before), after=_role(after), **values)
        case ChangeKind.CODE_OFFERED_IF:
            return _offered_if(before, after, values)
        case ChangeKind.ASKED_IF:
            return _asked_if(before, after, values)
        case ChangeKind.YES_CODES:
            return _("%(variable)s: codes counted as yes %(before)s → %(after)s",
                     before=_codes(before), after=_codes(after), **values)
        case ChangeKind.MINIMUM:
            return _("%(variable)s: smallest allowed value %(before)s → %(after)s",
                     before=_limit(before), after=_limit(after), **values)
        case ChangeKind.MAXIMUM:
            return _("%(variable)s: largest allowed value %(before)s → %(after)s",
                     before=_limit(before), after=_limit(after), **values)
        case ChangeKind.MAX_LENGTH:
            return _("%(variable)s: longest allowed answer (characters) %(before)s → %(after)s",
                     before=_limit(before), after=_limit(after), **values)
        case ChangeKind.SENSITIVE:
            return (_("%(variable)s: now marked sensitive", **values) if after
                    else _("%(variable)s: no longer marked sensitive", **values))
    raise ValueError(f"{kind} is a change of wording, which keeps the data comparable")


def _asked_if(before: str | None, after: str | None, values: dict) -> str:
    if before is None:
        return _("%(variable)s: asked of everyone → asked if %(after)s", after=after, **values)
    if after is None:
        return _("%(variable)s: asked if %(before)s → asked of everyone", before=before,
                 **values)
    return _("%(variable)s: asked if %(before)s → %(after)s", before=before, after=after,
             **values)


def _offered_if(before: str | None, after: str | None, values: dict) -> str:
    if before is None:
        return _("%(variable)s: answer code %(code)s offered always → if %(after)s",
                 after=after, **values)
    if after is None:
        return _("%(variable)s: answer code %(code)s offered if %(before)s → always",
                 before=before, **values)
    return _("%(variable)s: answer code %(code)s offered if %(before)s → %(after)s",
             before=before, after=after, **values)


def _role(role: str) -> str:
    return {"substantive": _("an answer"), "dont_know": _("don't know"),
            "refused": _("prefer not to answer")}[role]


def _codes(codes: Sequence[int]) -> str:
    return ", ".join(str(code) for code in codes) if codes else _("none")


def _limit(limit: int | None) -> str:
    return _("no limit") if limit is None else str(limit)
