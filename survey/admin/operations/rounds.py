"""A round's life before its close: creation (freezing the questionnaire), opening, new dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask_babel import lazy_gettext as _l
from flask_babel.speaklater import LazyString
from sqlalchemy.orm import Session

import questionnaires
from questionnaires.model import Questionnaire, group_code
from survey.admin import mailtext
from survey.admin.models import MailTemplate
from survey.admin.operations.common import OperationError, Problems
from survey.forms import has_control_characters, max_length, visible
from survey.models import Invitation, Round


def create_round(
    db: Session,
    *,
    title: str,
    reference_year: int,
    opens_on: dt.date,
    closes_on: dt.date,
    municipalities: list[str],
    groups: list[str],
    definition: Path | Questionnaire = questionnaires.DEFAULT_DEFINITION,
    min_cell_size: int = 5,
    identity: dict[str, str | None] | None = None,
) -> Round:
    """A draft round that freezes the questionnaire's canonical definition and fingerprint;
    the file may change afterwards, the round will not. `definition` is a file (the CLI) or a
    questionnaire already loaded from an upload (the page). Raises `DefinitionError`, or
    `OperationError` naming every problem at once."""
    questionnaire = (definition if isinstance(definition, Questionnaire)
                     else questionnaires.load(definition))
    problems = round_problems(title=title, municipalities=municipalities, groups=groups,
                              questionnaire=questionnaire)
    problems["closes_on"] = date_problems("draft", opens_on, closes_on)
    if any(problems.values()):
        raise OperationError(Problems(p for field in problems.values() for p in field))
    round_ = Round(
        title=title.strip(),
        questionnaire_id=questionnaire.id,
        definition=questionnaire.canonical_json,
        fingerprint=questionnaire.fingerprint,
        reference_year=reference_year,
        opens_on=opens_on,
        closes_on=closes_on,
        state="draft",
        min_cell_size=min_cell_size,
        municipalities=_distinct(municipalities),
        groups=_distinct(groups),
        **_identity(identity or {}),
    )
    db.add(round_)
    db.flush()
    for kind, texts in mailtext.DEFAULTS.items():
        db.add(MailTemplate(round_id=round_.id, kind=kind, **texts))
    db.commit()
    return round_


def round_problems(*, title: str, municipalities: list[str], groups: list[str],
                   questionnaire: Questionnaire | None) -> dict[str, list[LazyString]]:
    """Everything wrong with a new round's names, by the form field it concerns, so the page
    shows every problem at once next to its field (and the CLI all of them together). The
    group names are checked against `questionnaire` unless it is None (not readable)."""
    title = title.strip()
    municipalities, groups = _distinct(municipalities), _distinct(groups)
    problems: dict[str, list[LazyString]] = {"title": [], "municipalities": [], "groups": []}
    if len(title) > (limit := max_length(Round.title)):
        problems["title"].append(_l("The title is longer than %(max)s characters.", max=limit))
    problems["title"] += _not_one_line([title])
    for name, values in (("municipalities", municipalities), ("groups", groups)):
        if not values:
            problems[name].append(_l("A round needs at least one municipality and one group."))
    limit = max_length(Invitation.municipality)
    problems["municipalities"] += [
        _l("The municipality name %(name)s is longer than %(max)s characters.",
           name=name, max=limit) for name in municipalities if len(name) > limit]
    problems["municipalities"] += _not_one_line(municipalities)
    limit = max_length(Invitation.group)
    problems["groups"] += [
        _l("The group name %(name)s is longer than %(max)s characters.", name=name, max=limit)
        for name in groups if len(name) > limit]
    problems["groups"] += _not_one_line(groups) + _unknown_groups(questionnaire, groups)
    return problems


def date_problems(state: str, opens_on: dt.date | None,
                  closes_on: dt.date | None) -> list[LazyString]:
    """What is wrong with a round's dates, all at once (None: a date the form could not
    read, reported by the form itself)."""
    problems = []
    if opens_on and closes_on and closes_on < opens_on:
        problems.append(_l("The closing date is before the opening date."))
    if state == "open" and closes_on and closes_on < dt.date.today():
        problems.append(_l(
            "The closing date %(date)s has passed: an open round with these dates takes no "
            "answers. Choose a closing date from today on, or close the round.",
            date=closes_on.isoformat()))
    return problems


def _unknown_groups(questionnaire: Questionnaire | None, groups: list[str]) -> list[LazyString]:
    """A questionnaire that shows questions by group needs group names it knows: a round of
    "Politiker" would never show the elected officials their questions."""
    if questionnaire is None or not any(
            "group" in v.asked_if.variables for v in questionnaire.variables if v.asked_if):
        return []
    return [_l("The questionnaire shows some questions by group, and %(name)s is not one of "
               "its groups (förtroendevald, medarbetare).", name=name)
            for name in groups if group_code(name) is None]


def _not_one_line(texts: list[str]) -> list[LazyString]:
    """The web forms refuse control characters, but the command line reaches here without a
    form, and a crafted request can put a line break in a one-line field. A line break in the
    title breaks the Subject of every mail (the send stops mid-batch). Names are one per line
    of a text area, so only the title can carry a line break from the page."""
    return [_l("%(text)s must be one line without invisible control characters.",
               text=visible(text).replace("\r", "[U+000D]").replace("\n", "[U+000A]"))
            for text in texts
            if has_control_characters(text) or "\n" in text or "\r" in text]


def _distinct(values: list[str]) -> list[str]:
    result: list[str] = []
    for value in (v.strip() for v in values):
        if value and value.casefold() not in {r.casefold() for r in result}:
            result.append(value)
    return result


IDENTITY = ("organisation", "contact_name", "contact_email", "contact_phone",
            "sender_address", "support_sv", "support_en")


def _identity(values: dict[str, str | None]) -> dict[str, str | None]:
    unknown = set(values) - set(IDENTITY)
    if unknown:
        raise ValueError(f"not part of a round's identity: {sorted(unknown)}")
    cleaned = {name: (values.get(name) or "").strip() or None for name in IDENTITY}
    for name, value in cleaned.items():
        column = getattr(Round, name)
        if value is not None and column.type.length and len(value) > column.type.length:
            raise OperationError(_l("%(value)s is longer than %(max)s characters.",
                                    value=value, max=column.type.length))
    return cleaned


def set_identity(db: Session, round_: Round, values: dict[str, str | None]) -> None:
    """The organisation, contact person, sender address and support text mails and pages
    name. Allowed in every state: a contact who leaves can be replaced mid-round."""
    for name, value in _identity(values).items():
        setattr(round_, name, value)
    db.commit()


def open_round(db: Session, round_: Round) -> None:
    """draft -> open. From here on the definition is frozen for good."""
    if round_.state != "draft":
        raise OperationError(_l("Only a draft round can be opened."))
    round_.state = "open"
    db.commit()


def reschedule(db: Session, round_: Round, opens_on: dt.date, closes_on: dt.date) -> None:
    """New dates, e.g. a week more to answer. Only the dates change, never the instrument;
    a closed round has erased its links and cannot take answers again."""
    if round_.state == "closed":
        raise OperationError(_l("A closed round cannot be opened again."))
    problems = date_problems(round_.state, opens_on, closes_on)
    if problems:
        raise OperationError(Problems(problems))
    round_.opens_on = opens_on
    round_.closes_on = closes_on
    db.commit()
