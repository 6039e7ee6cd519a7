"""A round's life before its close: creation (freezing the questionnaire), opening, new dates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import Session

import questionnaires
from questionnaires.model import Questionnaire, group_code
from survey.admin import mailtext
from survey.admin.models import MailTemplate
from survey.admin.operations.common import (
    OperationError,
)
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
    questionnaire already loaded from an upload (the page). Raises `DefinitionError`."""
    if closes_on < opens_on:
        raise OperationError(_l("The closing date is before the opening date."))
    municipalities = _distinct(municipalities)
    groups = _distinct(groups)
    if not municipalities or not groups:
        raise OperationError(_l("A round needs at least one municipality and one group."))
    _check_lengths(title.strip(), municipalities, groups)
    _check_one_line(title.strip(), *municipalities, *groups)
    questionnaire = (definition if isinstance(definition, Questionnaire)
                     else questionnaires.load(definition))
    _check_groups(questionnaire, groups)
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
        municipalities=municipalities,
        groups=groups,
        **_identity(identity or {}),
    )
    db.add(round_)
    db.flush()
    for kind, texts in mailtext.DEFAULTS.items():
        db.add(MailTemplate(round_id=round_.id, kind=kind, **texts))
    db.commit()
    return round_


def _check_groups(questionnaire: Questionnaire, groups: list[str]) -> None:
    """A questionnaire that shows questions by group needs group names it knows: a round of
    "Politiker" would never show the elected officials their questions."""
    if not any("group" in v.asked_if.variables for v in questionnaire.variables if v.asked_if):
        return
    for name in groups:
        if group_code(name) is None:
            raise OperationError(_l(
                "The questionnaire shows some questions by group, and %(name)s is not one of "
                "its groups (förtroendevald, medarbetare).", name=name))


def _check_lengths(title: str, municipalities: list[str], groups: list[str]) -> None:
    """Names must fit their columns. SQLite stores any length; PostgreSQL refuses, and a
    municipality or group name reaches a column only at the first import, weeks later."""
    if len(title) > (limit := max_length(Round.title)):
        raise OperationError(_l("The title is longer than %(max)s characters.", max=limit))
    for name in municipalities:
        if len(name) > (limit := max_length(Invitation.municipality)):
            raise OperationError(_l("The municipality name %(name)s is longer than %(max)s "
                                    "characters.", name=name, max=limit))
    for name in groups:
        if len(name) > (limit := max_length(Invitation.group)):
            raise OperationError(_l("The group name %(name)s is longer than %(max)s "
                                    "characters.", name=name, max=limit))


def _check_one_line(*texts: str) -> None:
    """The web forms refuse control characters, but the command line reaches here without a
    form, and a crafted request can put a line break in a one-line field. A line break in the
    title breaks the Subject of every mail (the send stops mid-batch)."""
    for text in texts:
        if has_control_characters(text) or "\n" in text or "\r" in text:
            shown = visible(text).replace("\r", "[U+000D]").replace("\n", "[U+000A]")
            raise OperationError(_l("%(text)s must be one line without invisible control "
                                    "characters.", text=shown))


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
    if closes_on < opens_on:
        raise OperationError(_l("The closing date is before the opening date."))
    if round_.state == "open" and closes_on < dt.date.today():
        raise OperationError(_l(
            "The closing date %(date)s has passed: an open round with these dates takes no "
            "answers. Choose a closing date from today on, or close the round.",
            date=closes_on.isoformat()))
    round_.opens_on = opens_on
    round_.closes_on = closes_on
    db.commit()
