"""Every database write of the respondent flow, each in one transaction.

Anonymity is kept here (docs/anonymity.md): nothing in a respondent's path writes to their
invitation row. A submit only inserts a pooled submission (and deletes the draft, which is
keyed by the token, not the invitation). A flush later turns a whole pool into responses in
shuffled order and marks the same number of invitations responded, in one transaction, so
no backup, transaction id or row order pairs one invitation with one response. Pools are
per stratum, since a response carries its stratum. A submit never flushes: the flush runs
when the timer (`paverkan round flush`), a mailing or the close asks, so no respondent's
action decides when a batch appears.
"""

from __future__ import annotations

import datetime as dt
import enum
import json
import random
from dataclasses import dataclass, field
from types import SimpleNamespace

from flask import current_app
from sqlalchemy import Connection, bindparam, delete, exists, insert, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, defer

from questionnaires.model import Answers, Questionnaire
from survey import db as database
from survey import tokens
from survey.crypto import CannotOpen, seal_padded, unseal_padded
from survey.instrument import context, encode, prune, questionnaire_of, sealed_size
from survey.models import Draft, Invitation, PooledSubmission, Response, Round, random_id


class LinkState(enum.Enum):
    UNKNOWN = "unknown"
    NOT_YET_OPEN = "not_yet_open"
    CLOSED = "closed"
    SUBMITTED = "submitted"
    READY = "ready"


class LinkedRound(SimpleNamespace):
    """A round as a respondent's request reads it: its row without the 24 KB definition,
    which :func:`survey.instrument.frozen` parses once per process (and reads only then)."""

    is_open_on = Round.is_open_on

    @property
    def definition(self) -> str:
        return _DEFINITION.scalar(database.connection(), {"id": self.id})


_DEFINITION = database.Prebuilt(select(Round.definition).where(Round.id == bindparam("id")))


@dataclass(frozen=True)
class LinkedInvitation:
    """The invitation a link leads to, read in the same statement as its round and draft."""

    id: str
    round_id: int
    municipality: str
    group: str
    unit: str | None
    state: str
    round: LinkedRound


@dataclass
class DraftState:
    answers: dict = field(default_factory=dict)
    page: str | None = None


@dataclass
class Link:
    """What a token leads to, looked up without changing anything."""

    state: LinkState
    invitation: LinkedInvitation | None = None
    draft: DraftState = field(default_factory=DraftState)

    @property
    def round(self) -> LinkedRound | None:
        return self.invitation.round if self.invitation else None


_INVITATION_COLUMNS = ("id", "round_id", "municipality", "group", "unit", "state")
_ROUND_COLUMNS = tuple(c.name for c in Round.__table__.columns if c.name != "definition")
#: Where the round's columns, the draft and the pool check are in a row of :data:`_LINK`.
_ROUND_SLICE = slice(len(_INVITATION_COLUMNS), len(_INVITATION_COLUMNS) + len(_ROUND_COLUMNS))
_DRAFT_INDEX = _ROUND_SLICE.stop
_POOLED_INDEX = _DRAFT_INDEX + 1
#: One statement per look-up: the invitation, its round and the link's draft (if any), as
#: plain columns; building ORM objects cost more than the query.
_LINK = (
    select(*(Invitation.__table__.c[name] for name in _INVITATION_COLUMNS),
           *(Round.__table__.c[name].label(f"round__{name}") for name in _ROUND_COLUMNS),
           Draft.content.label("draft"))
    .join(Round.__table__, Round.id == Invitation.round_id)
    .outerjoin(Draft.__table__, Draft.id == bindparam("draft_id"))
    .where(Invitation.token_hash == bindparam("token_hash"))
)
#: With the pool check too, for a caller who knows the link's pool marker already.
_LINK_AND_POOL = _LINK.add_columns(
    exists().where(PooledSubmission.marker == bindparam("marker")).label("pooled"))
#: The look-ups by (knows the marker, holds the round): holding it is `lock_round`'s shared
#: lock taken by the look-up itself (``FOR SHARE OF rounds`` on PostgreSQL), one statement.
_LINKS = {(pooled, held): database.Prebuilt(
              statement.with_for_update(read=True, of=Round.__table__) if held else statement,
              writes=held, binary_results=True)
          for pooled, statement in ((False, _LINK), (True, _LINK_AND_POOL))
          for held in (False, True)}


def look_up(db: Session | Connection, token: str, today: dt.date | None = None,
            marker: str | None = None, *, hold_round: bool = False) -> Link:
    """What the link can do today. ``marker``: its pool marker, if the caller knows it, so
    that one statement also tells whether it submitted. Only a respondent's session passes
    one: Start put it there beside this token, in a cookie only we can seal, so it is this
    link's and is not derived again here (four HMACs a request). ``hold_round``: hold the
    round's row shared until the transaction ends, as `lock_round` does, read as it is once
    held: a close that holds it makes this wait, then read the round closed."""
    today = today or dt.date.today()
    if not tokens.well_formed(token):
        return Link(LinkState.UNKNOWN)
    parameters = {"token_hash": tokens.token_hash(token), "draft_id": tokens.draft_id(token)}
    if marker is not None:
        parameters["marker"] = marker
    row = _LINKS[marker is not None, hold_round].first(database.connection_of(db), parameters)
    if row is None:
        return Link(LinkState.UNKNOWN)
    round_ = LinkedRound(**dict(zip(_ROUND_COLUMNS, row[_ROUND_SLICE], strict=True)))
    invitation = LinkedInvitation(*row[:len(_INVITATION_COLUMNS)], round=round_)
    if round_.state == "closed" or round_.link_salt is None or today > round_.closes_on:
        return Link(LinkState.CLOSED, invitation)
    if marker is not None:
        submitted = invitation.state == "responded" or row[_POOLED_INDEX]
    else:
        submitted = is_submitted(db, invitation)
    if submitted:
        return Link(LinkState.SUBMITTED, invitation)
    if not round_.is_open_on(today):
        return Link(LinkState.NOT_YET_OPEN, invitation)
    return Link(LinkState.READY, invitation, _open_draft(token, row[_DRAFT_INDEX]))


def is_submitted(db: Session | Connection, invitation: LinkedInvitation) -> bool:
    if invitation.state == "responded":
        return True
    marker = tokens.pool_marker(invitation)
    return _POOLED.scalar(database.connection_of(db), {"marker": marker}) is not None


_POOLED = database.Prebuilt(
    select(PooledSubmission.id).where(PooledSubmission.marker == bindparam("marker")))


def scope(invitation: LinkedInvitation) -> dict[str, int]:
    return context(invitation.group)


def load_draft(db: Session | Connection, token: str) -> DraftState:
    """The saved answers of this link, or an empty draft (also when none can be read)."""
    content = _DRAFT_CONTENT.scalar(database.connection_of(db), {"id": tokens.draft_id(token)})
    return _open_draft(token, content)


def _open_draft(token: str, content: bytes | None) -> DraftState:
    if content is None:
        return DraftState()
    try:
        data = json.loads(unseal_padded(tokens.draft_key(token), content))
    except CannotOpen:
        return DraftState()
    return DraftState(data["answers"], data.get("page"))


_DRAFT_CONTENT = database.Prebuilt(select(Draft.content).where(Draft.id == bindparam("id")),
                                  binary_results=True)


def round_summary(db: Session | Connection, round_id: int) -> LinkedRound | None:
    """The round with this id, read as a respondent's page reads it."""
    row = _ROUND_BY_ID.first(database.connection_of(db), {"id": round_id})
    return None if row is None else LinkedRound(**dict(zip(_ROUND_COLUMNS, row, strict=True)))


_ROUND_BY_ID = database.Prebuilt(select(*(Round.__table__.c[name] for name in _ROUND_COLUMNS))
                                 .where(Round.id == bindparam("id")))


def save_draft(db: Session | Connection, token: str, round_: LinkedRound, answers: Answers,
               page: str | None) -> bool:
    """Store the answers so far and where to continue, readable only with the link, padded
    to the round's one sealed size (the same as a pool entry's); False, storing nothing, if
    the round has closed since the link was looked up.

    One statement writes the draft only while the round is not closed, holding the round's
    row shared as it reads it (as `lock_round` does; SQLite's write lock, which the close
    holds throughout, does the same there). So a close either comes after it and erases the
    draft, or has committed before it and it writes nothing; one that holds the round makes
    it wait and then write nothing. No draft of a closed round is left behind, without
    holding the round from the look-up on (on PostgreSQL a statement without a transaction:
    no BEGIN and COMMIT round trips, see :func:`survey.db.without_transaction`)."""
    size = sealed_size(round_)
    content = seal_padded(tokens.draft_key(token), encode({"answers": answers, "page": page}), size)
    connection = database.connection_of(db)
    saved = _SAVE_DRAFT[connection.dialect.name].rowcount(connection, {
        "id": tokens.draft_id(token), "round_id": round_.id, "content": content})
    db.commit()
    return saved == 1


def _save_draft(insert) -> database.Prebuilt:
    statement = insert(Draft).from_select(
        ["id", "round_id", "content"],
        select(bindparam("id", type_=Draft.id.type), Round.id,
               bindparam("content", type_=Draft.content.type))
        .where(Round.id == bindparam("round_id"), Round.state != "closed")
        .with_for_update(read=True))
    return database.Prebuilt(statement.on_conflict_do_update(
        index_elements=[Draft.id],
        set_={"round_id": statement.excluded.round_id, "content": statement.excluded.content},
    ), writes=True)


#: Built once per process: building a statement costs more than running it.
_SAVE_DRAFT = {"postgresql": _save_draft(postgresql.insert), "sqlite": _save_draft(sqlite.insert)}


def submit(db: Session, token: str, today: dt.date | None = None,
           marker: str | None = None) -> bool:
    """Put the draft's answers into the pool once; False when this link already submitted
    or can no longer submit (the round closed before this submit arrived). ``marker`` as
    for :func:`look_up`.

    The invitation row is only read. The marker's unique constraint makes a second submit
    (two tabs, a double click, a replayed request) fail without a second response; on
    PostgreSQL the second of two simultaneous submits meets it at the insert.

    The round's row is held shared from the look-up that finds the round open to the
    commit, and a close holds it exclusively (`close_round`): a submit that the close has
    not waited for sees the round closed, so no submission lands in a pool the close has read.
    """
    today = today or dt.date.today()
    database.write_lock(db)
    link = look_up(db, token, today, marker, hold_round=True)
    if link.state is not LinkState.READY:
        db.rollback()
        return False
    invitation = link.invitation
    round_ = invitation.round
    questionnaire: Questionnaire = questionnaire_of(round_)
    answers = prune(questionnaire, link.draft.answers, scope(invitation))
    marker = tokens.pool_marker(invitation)
    content = {"municipality": invitation.municipality, "group": invitation.group,
               "unit": invitation.unit, "answers": answers}
    entry = {
        "id": random_id(),
        "round_id": round_.id,
        "marker": marker,
        "sealed_invitation": tokens.seal_invitation(invitation, marker),
        "sealed_content": tokens.seal_pool_content(round_, content, marker),
        "fingerprint": round_.fingerprint,
    }
    connection = database.connection_of(db)
    try:
        _POOL_ENTRY.rowcount(connection, entry)
        _DELETE_DRAFT.rowcount(connection, {"id": tokens.draft_id(token)})
        db.commit()
    except IntegrityError:
        db.rollback()
        return False
    return True


#: A submit's two writes, prebuilt (:class:`survey.db.Prebuilt`): the ORM's unit of work
#: for one new row, and a DELETE built anew per submit, cost more than the statements.
_POOL_ENTRY = database.Prebuilt(insert(PooledSubmission).values({
    name: bindparam(name) for name in
    ("id", "round_id", "marker", "sealed_invitation", "sealed_content", "fingerprint")}),
    writes=True)
_DELETE_DRAFT = database.Prebuilt(delete(Draft).where(Draft.id == bindparam("id")), writes=True)


def flush_pool(db: Session, round_id: int, force: bool = False) -> int:
    """Turn pooled submissions into responses in one transaction (:func:`move_pool`) and
    commit it; returns how many.

    Called at times no respondent chooses — the flush timer, the start of a mailing — never
    inside a submit: if the K-th submit of a stratum flushed, its entry would never be seen
    pooled, and the batch would appear at the moment that person pressed Send.
    """
    moved = move_pool(db, round_id, force)
    db.commit()  # also when nothing moved: ends the transaction that locked the round
    return moved


def move_pool(db: Session, round_id: int, force: bool = False) -> int:
    """Turn pooled submissions into responses, a whole stratum at a time; returns how many.

    A response carries its stratum (municipality, group, unit), so a batch is only as good
    as its smallest stratum: one Norrköping elected official among seven Linköping staff
    would be paired by any backup diff. A stratum's submissions therefore wait until that
    stratum holds ``POOL_SIZE`` of them; ``force`` (the round's close) takes every stratum.
    Inserts the chosen responses in random order with fresh random ids, marks exactly their
    invitations responded and deletes their pool entries, without committing: the close
    commits this together with deleting the invitations, so no moment shows the last few
    flipped.
    """
    # NO KEY UPDATE: rows referring to the round are not held up (see `lock_round`).
    round_ = db.scalar(select(Round).where(Round.id == round_id)
                       .with_for_update(key_share=True).options(defer(Round.definition)))
    pool = list(db.scalars(select(PooledSubmission).where(PooledSubmission.round_id == round_id)))
    strata: dict[tuple, list[tuple[PooledSubmission, dict]]] = {}
    for entry in pool:
        content = tokens.open_pool_content(round_, entry.sealed_content, entry.marker)
        key = (content["municipality"], content["group"], content["unit"])
        strata.setdefault(key, []).append((entry, content))
    size = current_app.config["POOL_SIZE"]
    ready = [pair for entries in strata.values() if force or len(entries) >= size
             for pair in entries]
    if not ready:
        return 0
    random.SystemRandom().shuffle(ready)
    # Every entry is opened before anything is written, so one that cannot be opened stops
    # the flush with nothing half done.
    responded = sorted(
        tokens.unseal_invitation(round_, e.sealed_invitation, e.marker) for e, _ in ready
    )
    for entry, content in ready:
        db.add(
            Response(
                round_id=round_id,
                fingerprint=entry.fingerprint,
                municipality=content["municipality"],
                group=content["group"],
                unit=content["unit"],
                answers=content["answers"],
            )
        )
    db.flush()
    db.execute(update(Invitation).where(Invitation.id.in_(responded)).values(state="responded"))
    # Only the entries read above: a submit may have joined the pool meanwhile.
    db.execute(delete(PooledSubmission).where(PooledSubmission.id.in_([e.id for e, _ in ready])))
    return len(ready)
