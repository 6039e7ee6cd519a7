"""Server-side sessions that reveal nothing in the database.

The cookie holds 32 random bytes. The row is keyed by a hash of them and its content is
sealed with a key derived from them, so the session table alone cannot tell which respondent
(or which link) a session belongs to. The content is padded to whole blocks of
``SESSION_BLOCK`` bytes: every respondent's session fits one block, so all have one length
whatever they hold (a language, a link, "submitted"). Expiry is a date that slides forward
with use; a row is only rewritten when its content or expiry date changes.

A respondent's cookie starts with their round's id (``12.<random>``), which every respondent
of the round shares: when their row is gone, the app can still tell whether the round closed
(:attr:`Session.named_round`). The session that follows a submit has a cookie derived from the
one before it (:meth:`Session.restart` with ``forward``), so a request still carrying the old
cookie (the second press of a double click) finds the new session.

A session that holds nothing but a language and a CSRF token (a visitor on a start page, a
login form, a page in English) gets no row at all: it lives in a signed cookie
(``~<signed>``, :data:`COOKIE_ONLY`). It names nobody and grants nothing, so there is nothing
to revoke, and the start page, the busiest page of a round, writes nothing to the database.
As soon as the session holds more (a link, a staff login, "thanked") it moves to a row.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import secrets

from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import bindparam, delete, insert, select, update
from werkzeug.datastructures import CallbackDict

from survey import db, migrate
from survey.crypto import CannotOpen, derive_key, seal_padded, unseal_padded
from survey.models import ServerSession

SESSION_BLOCK = 1024
#: What a session may hold and still live in a signed cookie instead of a row.
COOKIE_ONLY = frozenset({"lang", "csrf_token"})
#: Starts a signed cookie; never in a row's cookie (digits, a dot and URL-safe base64).
SIGNED = "~"


class Session(CallbackDict, SessionMixin):
    def __init__(self, initial=None, cookie: str | None = None, expires_on=None,
                 round_id: int | None = None, named_round: int | None = None) -> None:
        def on_update(_self) -> None:
            self.modified = True

        super().__init__(initial, on_update)
        self.cookie = cookie
        self.expires_on = expires_on
        #: The round of a respondent's session, so that closing the round ends it.
        self.round_id = round_id
        #: The round a respondent's cookie names, kept even when the close ended their
        #: session (and in any session begun after that), so that a page can say it closed.
        self.named_round = named_round
        self.modified = False
        self.rotate = False
        self.forward = False

    @property
    def cookie_only(self) -> bool:
        """Nothing here needs a row (see the module's docstring)."""
        return self.round_id is None and self.keys() <= COOKIE_ONLY

    def regenerate(self) -> None:
        """Give the session a new id at the end of this request (after a privilege change:
        a traded link or a login) so that an id seen before cannot be replayed."""
        self.rotate = True
        self.modified = True

    def restart(self, round_id: int | None, keep: tuple[str, ...] = (),
                forward: bool = False) -> None:
        """End this session (its row goes at the end of the request) and begin a new one
        holding only the ``keep`` values, belonging to the respondent's round or to none.

        ``forward`` (only where the new session grants less than the old, as "thanked" after
        a submit): the new cookie is derived from the old one, so the old cookie still opens
        the new session; a request sent before this one's answer arrived ends where it does."""
        kept = {key: self[key] for key in keep if key in self}
        self.clear()
        self.update(kept)
        self.regenerate()
        self.round_id = round_id
        self.forward = forward and self.cookie is not None


def _row_id(cookie: str) -> str:
    return hashlib.sha256(cookie.encode()).hexdigest()


def _key(cookie: str) -> bytes:
    return derive_key(cookie, "session-content")


def _new_cookie(round_id: int | None) -> str:
    random = secrets.token_urlsafe(32)
    return random if round_id is None else f"{round_id}.{random}"


def _round_of(cookie: str) -> int | None:
    prefix, dot, _random = cookie.partition(".")
    return int(prefix) if dot and prefix.isdigit() and len(prefix) < 10 else None


def _successor(cookie: str) -> str:
    """The cookie of the session a forwarding restart begins: one-way from the old cookie, so
    the table cannot pair the two rows, and named by the same round."""
    random = base64.urlsafe_b64encode(derive_key(cookie, "session-successor")).decode()
    round_id = _round_of(cookie)
    return random.rstrip("=") if round_id is None else f"{round_id}.{random.rstrip('=')}"


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
        if not cookie or len(cookie) > 1000:
            return Session()
        if cookie.startswith(SIGNED):
            return _from_signed_cookie(app, cookie)
        if len(cookie) > 100:
            return Session()
        connection = db.connection()
        opened = _open(cookie, connection.execute(_SESSION_ROW, {"id": _row_id(cookie)}).first())
        if opened is None:
            # Perhaps a request sent before a submit's answer: the session that followed it.
            successor = _successor(cookie)
            opened = _open(successor,
                           connection.execute(_SESSION_ROW, {"id": _row_id(successor)}).first())
            if opened is not None:
                opened.modified = True  # the browser gets the new cookie
        if opened is None:
            return Session(named_round=_round_of(cookie))
        opened.named_round = _round_of(opened.cookie)
        return opened

    def save_session(self, app: Flask, session: Session, response: Response) -> None:
        if not migrate.schema_ready(app):
            return
        name = self.get_cookie_name(app)
        database = db.session()
        successor = _successor(session.cookie) if session.forward else None
        ended = bool(session.cookie and (session.rotate or session.cookie_only))
        if ended:
            # Committed with the row that follows it, if any: a request still carrying the old
            # cookie must find one of the two (see `forward`).
            database.connection().execute(_DELETE_ROW, {"row": _row_id(session.cookie)})
            session.cookie = None
            session.modified = True
        if session.cookie_only:
            if ended:
                database.commit()
            if session.modified and (session or session.named_round is not None):
                signed = _serializer(app).dumps([dict(session), session.named_round])
                response.set_cookie(name, SIGNED + signed, **self._cookie_settings(app))
            elif session.modified:
                response.delete_cookie(name, domain=self.get_cookie_domain(app),
                                       path=self.get_cookie_path(app))
            return
        expires_on = dt.date.today() + dt.timedelta(days=app.config["SESSION_IDLE_DAYS"])
        if successor is not None:
            # Both presses of a double click forward to the same row: the later one replaces it.
            session.cookie = successor
            store = None
        elif session.cookie is None:
            _delete_expired(app, database)
            # A session begun after the close ended one still names its round, so its pages
            # can keep saying that the survey closed.
            session.cookie = _new_cookie(
                session.round_id if session.round_id is not None else session.named_round)
            store = _INSERT_ROW
        elif not session.modified and session.expires_on == expires_on:
            return
        else:
            store = _UPDATE_ROW
        row = {"content": _seal(session.cookie, dict(session)), "expires_on": expires_on,
               "round_id": session.round_id}
        if store is None:
            db.upsert(database, ServerSession, id=_row_id(session.cookie), **row)
        else:
            database.connection().execute(store, {"row": _row_id(session.cookie), **row})
        database.commit()
        response.set_cookie(name, session.cookie, **self._cookie_settings(app))
        response.vary.add("Cookie")

    def _cookie_settings(self, app: Flask) -> dict:
        return {"domain": self.get_cookie_domain(app), "path": self.get_cookie_path(app),
                "httponly": self.get_cookie_httponly(app),
                "secure": self.get_cookie_secure(app),
                "samesite": self.get_cookie_samesite(app)}


def _serializer(app: Flask) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(app.secret_key, salt="paverkan-cookie-session")


def _from_signed_cookie(app: Flask, cookie: str) -> Session:
    """The session a signed cookie holds, if we signed it within the idle limit and it holds
    only what such a cookie may; otherwise a new one."""
    max_age = app.config["SESSION_IDLE_DAYS"] * 86400
    try:
        data, named_round = _serializer(app).loads(cookie[len(SIGNED):], max_age=max_age)
    except (BadSignature, TypeError, ValueError):
        return Session()
    if not isinstance(data, dict) or not data.keys() <= COOKIE_ONLY:
        return Session()
    return Session(data, named_round=named_round if isinstance(named_round, int) else None)


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

