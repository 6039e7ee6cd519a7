"""Respondent links and everything derived from them.

A link's token is ``HMAC(link key of the round, invitation id)``: 32 pseudo-random bytes,
URL-safe. The link key comes from the instance secret (outside the database) and the round's
``link_salt`` (inside), so neither a database dump nor the secret alone re-creates links, a
reminder carries the same link as the invitation, and erasing the salt at close makes every
link underivable. The database stores only :func:`token_hash`. A corrected address counts
the invitation's ``link_generation`` up, and from then on the token is ``HMAC(link key,
"id/generation")``: the link mailed to the wrong address stops working.

Drafts are found by :func:`draft_id` and encrypted with :func:`draft_key`, both derived from
the token and the instance secret, so neither the database nor a link (an outbox file) alone
reads a draft or tells whose it is.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable

from flask import current_app, g
from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session, joinedload

from survey.crypto import (
    derive_key,
    instance_derived,
    instance_key,
    keyed_digest,
    keyed_hash,
    seal,
    seal_padded,
    unseal,
    unseal_padded,
)
from survey.instrument import encode, sealed_size
from survey.models import Invitation, Round, random_id

TOKEN_PATTERN = re.compile(r"^[A-Za-z0-9_-]{43}$")


def _secret() -> str:
    return current_app.config["SECRET_KEY"]


def _once(name: tuple, derive: Callable[[], bytes]) -> bytes:
    """The key ``derive`` makes, once per request (or CLI command): a page needs the same
    few several times. Kept in the app context, so nothing outlives the request; in
    particular no worker holds a round's link key after its close erased the salt."""
    keys = g.setdefault("paverkan_derived_keys", {})
    key = keys.get(name)
    if key is None:
        key = keys[name] = derive()
    return key


def _derived(secret: bytes, purpose: str) -> bytes:
    return _once((secret, purpose), lambda: derive_key(secret, purpose))


def link_key(round_: Round) -> bytes:
    if not round_.link_salt:
        raise ValueError("the round's links were erased when it closed")
    purpose = f"round-links:{round_.id}:{round_.link_salt}"
    return _once(("link", purpose), lambda: instance_derived(_secret(), purpose))


def token_for(invitation: Invitation) -> str:
    """The token in this invitation's link; the same every time it is asked for, until a
    corrected address gives the invitation its next link generation."""
    return link_token(invitation.round, invitation.id, invitation.link_generation)


def link_token(round_: Round, invitation_id: str, generation: int | None = 0) -> str:
    """The token of the round's invitation with this id (also before the row exists, so a
    bulk import can store the hash in the same INSERT). Generation 0, every invitation's
    first link (also of an invitation not yet stored, whose generation is still None), is the
    id alone, as links were before generations existed."""
    message = f"{invitation_id}/{generation}" if generation else invitation_id
    digest = keyed_digest(link_key(round_), message)
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def token_hash(token: str) -> str:
    """What the database stores instead of the token."""
    return keyed_hash(instance_key(_secret(), "token-hash"), token)


def well_formed(token: str) -> bool:
    return bool(TOKEN_PATTERN.match(token))


def find_invitation(db: Session, token: str) -> Invitation | None:
    """The invitation a token belongs to, or None for a malformed, unknown or erased one."""
    if not well_formed(token):
        return None
    return db.scalar(_INVITATION_BY_HASH, {"token_hash": token_hash(token)})


#: Built once: building a statement with loader options costs more than running it.
#: The round comes along, without its definition (read only when this process has not yet
#: parsed it: survey.instrument.frozen).
_INVITATION_BY_HASH = (
    select(Invitation)
    .where(Invitation.token_hash == bindparam("token_hash"))
    .options(joinedload(Invitation.round, innerjoin=True).defer(Round.definition))
)


def pool_marker(invitation: Invitation) -> str:
    """Marks a pooled submission as this invitation's without naming it."""
    return keyed_hash(_derived(link_key(invitation.round), "pool-marker"), invitation.id)


def seal_invitation(invitation: Invitation, marker: str) -> bytes:
    """The invitation id of a pooled submission, readable only with the round's link key."""
    return seal(_pool_key(invitation.round), invitation.id.encode(), marker.encode())


def unseal_invitation(round_: Round, sealed: bytes, marker: str) -> str:
    return unseal(_pool_key(round_), sealed, marker.encode()).decode()


def _pool_key(round_: Round) -> bytes:
    return _derived(link_key(round_), "pool-invitation")


def seal_pool_content(round_: Round, content: dict, marker: str) -> bytes:
    """A pooled submission's stratum and answers, readable only with the round's link key,
    padded to the round's one sealed size."""
    key = _derived(link_key(round_), "pool-content")
    return seal_padded(key, encode(content), sealed_size(round_), marker.encode())


def open_pool_content(round_: Round, sealed: bytes, marker: str) -> dict:
    key = _derived(link_key(round_), "pool-content")
    return json.loads(unseal_padded(key, sealed, marker.encode()))


def _draft_root(token: str) -> bytes:
    """The token keyed with the instance secret: whoever holds a link but not the secret (an
    outbox folder, a forwarded mail, together with a database copy) finds and opens nothing.
    The draft's id and key both come from it."""
    return _once(("drafts", token),
                 lambda: keyed_digest(instance_key(_secret(), "drafts"), token))


def draft_id(token: str) -> str:
    return keyed_hash(_derived(_draft_root(token), "draft-id"), b"")


def draft_key(token: str) -> bytes:
    return _derived(_draft_root(token), "draft-key")


def assign_token(invitation: Invitation) -> str:
    """Give a new invitation its id and token hash; returns the token for its link.

    The invitation's round must already have an id (flush it first).
    """
    if invitation.id is None:
        invitation.id = random_id()
    token = token_for(invitation)
    invitation.token_hash = token_hash(token)
    return token
