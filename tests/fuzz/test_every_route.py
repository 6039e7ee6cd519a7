"""Hostile requests against every route of the app, as the anonymous visitor, a logged-in
administrator and a respondent in the middle of the questionnaire: random and hostile
values, wrong types, missing and duplicated fields, huge and truncated bodies, invalid UTF-8,
NUL, right-to-left marks, odd methods and query strings, huge ids, forged and missing CSRF
tokens. No request may end in a 500, and a refused one (4xx) leaves the database as it was.

Runs on SQLite and PostgreSQL (the app fixture), bounded by `EXAMPLES`; the counts of what
was sent are printed at the end of the run (tests/fuzz/conftest.py).
"""

from __future__ import annotations

import inspect
import io
import re
from urllib.parse import quote

import pytest
from flask_wtf import FlaskForm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select
from werkzeug.datastructures import MultiDict
from wtforms.fields.core import UnboundField

import survey.admin.forms
import survey.auth.forms
from survey.auth import operations as accounts
from survey.db import Base
from tests.admin.conftest import PASSWORD_OF, recipient_csv
from tests.conftest import DEFAULT_INSTRUMENT, InvitationFactory, RoundFactory

pytestmark = pytest.mark.fuzz

#: Examples per persona and database; each sends one request (the three personas and two
#: databases make six times this).
EXAMPLES = 500
#: Tables that a refused request may still write: the session store (every visit slides
#: it forward) and the login throttle (a refused login is counted by design).
MAY_CHANGE = {"sessions", "login_attempts"}

HOSTILE = [
    "", " ", "\x00", "a\x00b", "\u202eevil\u202c", "\u200f\u200e", "\ufeff", "\r\n", "\t",
    "<script>alert(1)</script>", "' OR 1=1 --", "%", "%00", "%ff", "../../etc/passwd",
    "0", "-1", "1", "2", "99", "1e309", "NaN", "9" * 30, str(2**63), str(2**31), "0x10",
    "2026-02-30", "2026-03-02", "9999-12-31", "0000-00-00", "true", "null", "[]", "{}",
    "Linköping", "medarbetare", "förtroendevald", "invitation", "reminder", "confirm",
    "next", "back", "submit", "sv", "en", "x" * 5000, "\U0001f600" * 50,
]
#: Query strings as sent, not encoded by us: invalid UTF-8 (a lone surrogate's bytes, 0xFF),
#: NUL, broken escapes, empty pairs.
RAW_QUERIES = ["%ff", "lang=%ED%A0%80", "next=%00", "a=%ZZ", "&&==&", ";;", "next=/%0d%0a",
               "_method=x", "lang[]=en", "a=" + "b" * 10000]
METHODS = ["GET", "POST", "POST", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS", "FOO"]


def _form_field_names() -> list[str]:
    names = set()
    for module in (survey.admin.forms, survey.auth.forms):
        for _, form in inspect.getmembers(module, inspect.isclass):
            if issubclass(form, FlaskForm):
                names |= {n for n, v in vars(form).items() if isinstance(v, UnboundField)}
    for page in DEFAULT_INSTRUMENT.pages:
        for question in page.questions:
            names |= {v.name for v in question.variables}
    return sorted(names | {"action", "csrf_token", "confirm", "sheet", "file", "next", "lang"})


FIELD_NAMES = _form_field_names()
PAGE_IDS = [page.id for page in DEFAULT_INSTRUMENT.pages]

values = st.one_of(st.sampled_from(HOSTILE), st.text(max_size=40),
                   st.integers(-(2**70), 2**70).map(str))
field_names = st.one_of(st.sampled_from(FIELD_NAMES), st.text(max_size=12))
#: Duplicated names come from drawing the same name twice.
fields = st.lists(st.tuples(field_names, values), max_size=12)
bodies = st.one_of(
    st.builds(lambda pairs: ("form", pairs), fields),
    st.builds(lambda raw: ("raw", raw), st.binary(max_size=300)),
    st.just(("raw", b"a=%ff%fe&b=\xff\xfe&c=\x00&csrf_token=\xc3")),
    st.just(("huge", None)),
    st.builds(lambda content: ("file", content),
              st.one_of(st.binary(max_size=200), st.just(recipient_csv(3)),
                        st.just(b"PK\x03\x04" + b"\x00" * 100))),
    st.builds(lambda raw: ("truncated", raw), st.binary(max_size=100)),
    st.just(("none", None)),
)
queries = st.lists(st.tuples(st.sampled_from(["_method", "lang", "next", "sheet", "page",
                                              "_external", "x"]) | st.text(max_size=8),
                             values), max_size=3)


def _path_value(converter: str, ids: list[int], tokens: list[str]) -> st.SearchStrategy:
    if converter == "DatabaseIdConverter":
        return st.one_of(st.sampled_from(ids), st.integers(0, 2**70)).map(str)
    known = st.sampled_from(tokens + PAGE_IDS + ["invitation", "reminder", "paverkan.css"])
    return st.one_of(known, st.sampled_from(HOSTILE), st.text(max_size=30),
                     st.sampled_from(["%ff", "%ED%A0%80", "%00", "..%2F..", "a%2Fb"])).map(
        lambda text: text if "%" in text else quote(text, safe="") or "x")


def _url(rule, draw, ids, tokens) -> str:
    path = rule.rule
    for name, converter in rule._converters.items():
        value = draw(_path_value(type(converter).__name__, ids, tokens))
        path = re.sub(rf"<[^>]*\b{name}>", lambda _m, v=value: v, path)
    return path


def snapshot(connection) -> dict[str, list[str]]:
    return {table.name: sorted(repr(row) for row in connection.execute(select(table)))
            for table in Base.metadata.sorted_tables if table.name not in MAY_CHANGE}


@pytest.fixture
def personas(app, db_session):
    """Three clients: nobody, a logged-in administrator, a respondent on page 1. Each keeps
    its CSRF token, so forged and real tokens can both be sent."""
    round_ = RoundFactory()
    RoundFactory(state="draft")
    invitations = [InvitationFactory(round=round_) for _ in range(3)]
    db_session.commit()
    accounts.add_user(db_session, "admin@kommun.example.se", "admin", PASSWORD_OF)
    clients = {name: app.test_client() for name in ("anonymous", "admin", "respondent")}
    token = {name: clients[name].csrf_token("/login") for name in ("anonymous", "admin")}
    assert clients["admin"].post("/login", data={
        "email": "admin@kommun.example.se", "password": PASSWORD_OF,
        "csrf_token": token["admin"]}).status_code == 302
    link = f"/s/{invitations[0].token}"
    token["respondent"] = clients["respondent"].csrf_token(link)
    assert clients["respondent"].post(link, data={
        "csrf_token": token["respondent"]}).status_code == 302
    return clients, token, [r.id for r in (round_,)] + [1, 2], [i.token for i in invitations]


def _send(client, method: str, url: str, body, csrf: str | None):
    kwargs: dict = {}
    kind, content = body
    if kind == "form":
        pairs = list(content) + ([("csrf_token", csrf)] if csrf else [])
        kwargs["data"] = MultiDict(pairs)
    elif kind == "raw":
        kwargs.update(data=content, content_type="application/x-www-form-urlencoded")
    elif kind == "huge":
        kwargs["data"] = {"csrf_token": csrf or "", "title": "x" * (300 * 1024)}
    elif kind == "truncated":  # the client promised more than it sent, then hung up
        kwargs.update(input_stream=io.BytesIO(content), headers={
            "Content-Length": str(len(content) + 1000),
            "Content-Type": "application/x-www-form-urlencoded"})
    elif kind == "file":
        kwargs.update(data={"csrf_token": csrf or "", "file": (io.BytesIO(content), "l.xlsx")},
                      content_type="multipart/form-data")
    response = client.open(url, method=method, **kwargs)
    # A static file's response holds the file open until closed; left to the garbage
    # collector, its ResourceWarning fails whichever test happens to be running then.
    response.close()
    return response


@pytest.mark.parametrize("persona", ["anonymous", "admin", "respondent"])
def test_no_request_ends_in_a_500_and_a_refused_one_changes_nothing(
    app, connection, personas, persona, sent, database_url
):
    clients, tokens, ids, links = personas
    client = clients[persona]
    rules = [rule for rule in app.url_map.iter_rules()]
    database = database_url.split(":", 1)[0]
    app.config["PROPAGATE_EXCEPTIONS"] = False  # a bug is a 500 page here, as in production

    # derandomize: every run sends the same corpus (seeded by the test's name), so a CI run
    # fails exactly when a local one does; widen EXAMPLES or drop it to explore further.
    @settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
              suppress_health_check=[HealthCheck.function_scoped_fixture,
                                     HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(data=st.data())
    def one_request(data):
        rule = data.draw(st.sampled_from(rules))
        method = data.draw(st.sampled_from(sorted(rule.methods) + METHODS))
        url = _url(rule, data.draw, ids, links)
        query = [f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in data.draw(queries)]
        query += data.draw(st.lists(st.sampled_from(RAW_QUERIES), max_size=1))
        if query:
            url += "?" + "&".join(query)
        body = data.draw(bodies)
        csrf = data.draw(st.sampled_from([tokens[persona], tokens[persona], None, "forged"]))
        before = snapshot(connection)
        response = _send(client, method, url, body, csrf)
        sent[database, response.status_code] += 1
        assert response.status_code != 500, f"{method} {url} {body!r:.300}"
        if response.status_code >= 400:
            assert snapshot(connection) == before, f"{method} {url} refused but wrote"

    one_request()
