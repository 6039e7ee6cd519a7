"""Sessions: a respondent's sealed in their cookie, a staff member's in a row that reveals
nothing in the database.

A respondent's session (and any visitor's: a language, a CSRF token) lives in the cookie
itself (``~<sealed>``, :data:`IN_COOKIE`): AES-GCM under a key derived from the instance
secret, padded to whole blocks of ``COOKIE_BLOCK`` bytes, with an expiry date that slides
forward with use. It holds the link's token, its pool marker and, after Send, "thanked"; no
table holds anything of it, so no backup can show who visited when, and nothing is left for
the round's close to delete. It needs no revoking either: the link it holds stops working
at the submit (the link reads "submitted") and at the close (the link is erased), so a
replayed cookie meets those pages, never the questions. Every respondent request is one
statement shorter for it.

A staff member's session is a row, so that logging out, a changed password or a deactivated
account ends it. The cookie holds 32 random bytes; the row is keyed by a hash of them and its
content is sealed with a key derived from them and padded to whole blocks of
``SESSION_BLOCK`` bytes, so the table alone cannot tell whose session a row is or what it
holds. Expiry is a date; a row is only rewritten when its content or expiry date changes.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets

import flask
from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from sqlalchemy import bindparam, delete, insert, select, update
from werkzeug.datastructures import CallbackDict

from survey import db, migrate
from survey.crypto import CannotOpen, derive_key, instance_key, seal_padded, unseal_padded
from survey.models import ServerSession

SESSION_BLOCK = 1024
COOKIE_BLOCK = 384
#: What only a respondent's session holds (survey/respondent/access.py), and so never a row:
#: the link's token, its pool marker, and after Send the round's id ("thanked").
LINK_TOKEN, POOL_MARKER, THANKED = "respondent_token", "respondent_marker", "respondent_submitted"
RESPONDENT = frozenset({LINK_TOKEN, POOL_MARKER, THANKED})
#: What a session may hold and still live in the cookie; anything else (a staff login)
#: needs a row that can be deleted.
IN_COOKIE = RESPONDENT | {"lang", "csrf_token"}
#: Starts a sealed cookie; never in a row's cookie (URL-safe base64).
SEALED = "~"


class Session(CallbackDict, SessionMixin):
    def __init__(self, initial=None, cookie: str | None = None, expires_on=None,
                 round_id: int | None = None) -> None:
        def on_update(_self) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        #: The row's cookie; None for a session kept in the cookie (or not yet stored).
        self.cookie = cookie
        self.expires_on = expires_on
        #: The respondent's round, kept in the cookie also after the close ended the link
        #: (and in any session begun after that), so that a page can say the survey closed.
        self.round_id = round_id
        self.modified = False
        self.rotate = False

    @property
    def in_cookie(self) -> bool:
        """Nothing here needs a row (see the module's docstring)."""
        return self.keys() <= IN_COOKIE

    def regenerate(self) -> None:
        """Give the session a new id at the end of this request (after a privilege change:
        a login) so that an id seen before cannot be replayed."""
        self.rotate = True
        self.modified = True

    def restart(self, round_id: int | None, keep: tuple[str, ...] = ()) -> None:
        """End this session and begin a new one holding only the ``keep`` values, belonging to
        the respondent's round or to none."""
        kept = {key: self[key] for key in keep if key in self}
        self.clear()
        self.update(kept)
        self.regenerate()
        self.round_id = round_id


def _row_id(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _key(cookie: str) -> bytes:
    return derive_key(cookie, "session-content")


_SESSION_ROW = select(
    ServerSession.content, ServerSession.expires_on, ServerSession.round_id
).where(ServerSession.id == bindparam("id"))
#: The row to change is ``row``: a bound name may not be a column's in an UPDATE.
_INSERT_ROW = insert(ServerSession).values(id=bindparam("row"))
_UPDATE_ROW = update(ServerSession).where(ServerSession.id == bindparam("row"))
_DELETE_ROW = delete(ServerSession).where(ServerSession.id == bindparam("row"))


class ServerSessionInterface(SessionInterface):
    def open_session(self, app: Flask, request: Request) -> Session:
        cookie = request.cookies.get(self.get_cookie_name(app))
        if not migrate.schema_ready(app):
            return Session()
        if not cookie or len(cookie) > 4 * COOKIE_BLOCK:
            return Session()
        if cookie.startswith(SEALED):
            return _from_cookie(app, cookie)
        if len(cookie) > 100:
            return Session()
        row = db.connection().execute(_SESSION_ROW, {"id": _row_id(cookie)}).first()
        return _open(cookie, row) or Session()

    def save_session(self, app: Flask, session: Session, response: Response) -> None:
        """Writes only what changed: a row only for a session that needs one (and the
        database session only then), a cookie only when its content or expiry date changed,
        and a deleting cookie only to a browser that sent one."""
        if not migrate.schema_ready(app):
            return
        name = self.get_cookie_name(app)
        expires_on = dt.date.today() + dt.timedelta(days=app.config["SESSION_IDLE_DAYS"])
        if session.cookie and (session.rotate or session.in_cookie):
            database = db.session()
            database.connection().execute(_DELETE_ROW, {"row": _row_id(session.cookie)})
            database.commit()
            session.cookie = None
            session.modified = True
        if session.in_cookie:
            if not session.modified and session.expires_on == expires_on:
                return
            if session or session.round_id is not None:
                response.set_cookie(name, _sealed_cookie(app, session, expires_on),
                                    **self._cookie_settings(app))
            elif name in flask.request.cookies:
                response.delete_cookie(name, domain=self.get_cookie_domain(app),
                                       path=self.get_cookie_path(app))
            else:  # a visitor who sent no cookie and needs none (most link-free pages)
                return
            response.vary.add("Cookie")
            return
        database = db.session()
        if session.cookie is None:
            _delete_expired(app, database)
            session.cookie = secrets.token_urlsafe(32)
            store = _INSERT_ROW
        elif not session.modified and session.expires_on == expires_on:
            return
        else:
            store = _UPDATE_ROW
        # A respondent's link never goes into a row, even in a session that needs one (a
        # staff form's kept text in the same browser): the respondent opens the link again.
        content = {key: value for key, value in session.items() if key not in RESPONDENT}
        database.connection().execute(store, {
            "row": _row_id(session.cookie), "content": _seal(session.cookie, content),
            "expires_on": expires_on, "round_id": None})
        database.commit()
        response.set_cookie(name, session.cookie, **self._cookie_settings(app))
        response.vary.add("Cookie")

    def _cookie_settings(self, app: Flask) -> dict:
        return {"domain": self.get_cookie_domain(app), "path": self.get_cookie_path(app),
                "httponly": self.get_cookie_httponly(app),
                "secure": self.get_cookie_secure(app),
                "samesite": self.get_cookie_samesite(app)}


def _cookie_key(app: Flask) -> bytes:
    return instance_key(app.secret_key, "cookie-session")


def _sealed_cookie(app: Flask, session: Session, expires_on: dt.date) -> str:
    plaintext = json.dumps([dict(session), session.round_id, expires_on.isoformat()]).encode()
    blocks = max(1, -(-len(plaintext) // COOKIE_BLOCK))
    sealed = seal_padded(_cookie_key(app), plaintext, blocks * COOKIE_BLOCK)
    return SEALED + base64.urlsafe_b64encode(sealed).decode().rstrip("=")


def _from_cookie(app: Flask, cookie: str) -> Session:
    """The session a sealed cookie holds, if we sealed it, it has not expired and it holds
    only what a cookie may; otherwise a new one."""
    try:
        sealed = base64.urlsafe_b64decode(cookie[len(SEALED):] + "==")
        data, round_id, expires = json.loads(
            unseal_padded(_cookie_key(app), sealed))
        expires_on = dt.date.fromisoformat(expires)
    except (CannotOpen, ValueError, TypeError):
        return Session()
    if (expires_on < dt.date.today() or not isinstance(data, dict)
            or not data.keys() <= IN_COOKIE):
        return Session()
    return Session(data, expires_on=expires_on,
                   round_id=round_id if isinstance(round_id, int) else None)


def _open(cookie: str, row) -> Session | None:
    if row is None or row.expires_on < dt.date.today():
        return None
    try:
        data = json.loads(unseal_padded(_key(cookie), row.content))
    except CannotOpen:
        return None
    return Session(data, cookie=cookie, expires_on=row.expires_on, round_id=row.round_id)


def _seal(cookie: str, data: dict) -> bytes:
    plaintext = json.dumps(data).encode()
    blocks = max(1, -(-len(plaintext) // SESSION_BLOCK))
    return seal_padded(_key(cookie), plaintext, blocks * SESSION_BLOCK)


def _delete_expired(app: Flask, database) -> None:
    """Sessions idle past their date go, once a day per process (when it first starts one)."""
    today = dt.date.today()
    if app.extensions.get("paverkan_sessions_swept") != today:
        database.execute(delete(ServerSession).where(ServerSession.expires_on < today))
        app.extensions["paverkan_sessions_swept"] = today
