"""The app's foundation: configuration, schema, sessions, language and headers."""

from __future__ import annotations

import datetime as dt
import os
import stat

import flask
import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from survey import db, migrate
from survey.auth import operations as auth
from survey.config import Config
from survey.models import ServerSession, User
from tests.conftest import InvitationFactory, RoundFactory, make_test_app
from tests.survey.test_respondent import answer_pages, start


def test_defaults_keep_everything_in_the_instance_folder(tmp_path):
    """A fresh install needs no configuration and puts no secret in the repository."""
    config = Config(tmp_path, environ={})
    assert config.DATABASE_URL == f"sqlite:///{tmp_path / 'paverkan.sqlite3'}"
    assert config.MAIL_URL is None  # the outbox only when asked for (docs/anonymity.md)
    secret_file = tmp_path / "secret_key"
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert Config(tmp_path, environ={}).SECRET_KEY == config.SECRET_KEY


def test_environment_overrides_the_defaults(tmp_path):
    config = Config(
        tmp_path,
        environ={
            "PAVERKAN_DATABASE_URL": "postgresql+psycopg://db/paverkan",
            "PAVERKAN_MAIL_URL": "smtp://u:p@mail:587",
            "PAVERKAN_SECRET_KEY": "s3cret",
        },
    )
    assert (config.DATABASE_URL, config.MAIL_URL, config.SECRET_KEY) == (
        "postgresql+psycopg://db/paverkan",
        "smtp://u:p@mail:587",
        "s3cret",
    )
    assert not (tmp_path / "secret_key").exists()


def test_an_unmigrated_database_is_refused_with_what_to_run(tmp_path):
    """An admin who forgot the migration is told the command, not shown a traceback."""
    app = make_test_app(f"sqlite:///{tmp_path / 'empty.sqlite3'}", tmp_path / "instance")
    response = app.test_client().get("/tillganglighet")
    assert response.status_code == 503
    assert "paverkan db upgrade" in response.text
    db.database(app).engine.dispose()


def test_a_database_one_migration_behind_is_refused_too(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'old.sqlite3'}", tmp_path / "instance")
    migrate.upgrade(db.database(app).engine, "0001")
    response = app.test_client().get("/tillganglighet")
    assert response.status_code == 503 and "paverkan db upgrade" in response.text
    db.database(app).engine.dispose()


def test_sqlite_runs_with_wal_and_foreign_keys(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'pragmas.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    engine.dispose()


def test_db_upgrade_command_creates_the_schema(tmp_path):
    app = make_test_app(f"sqlite:///{tmp_path / 'new.sqlite3'}", tmp_path / "instance")
    result = app.test_cli_runner().invoke(args=["db", "upgrade"])
    assert result.exit_code == 0, result.output
    assert migrate.is_current(db.database(app).engine)
    assert app.test_client().get("/tillganglighet").status_code == 200
    db.database(app).engine.dispose()


def test_pages_are_swedish_first_and_english_on_request(client):
    page = client.get("/tillganglighet")
    assert '<html lang="sv">' in page.text
    assert "Tillgänglighetsredogörelse" in page.text
    page = client.get("/tillganglighet?lang=en")
    assert '<html lang="en">' in page.text
    assert "Accessibility statement" in page.text
    assert '<html lang="en">' in client.get("/tillganglighet").text, "choice remembered"


def test_every_response_sends_privacy_and_content_security_headers(client):
    for url in ("/tillganglighet", "/no-such-page", "/static/paverkan.css"):
        with client.get(url) as response:
            assert response.headers["Referrer-Policy"] == "same-origin"
            assert "default-src 'none'" in response.headers["Content-Security-Policy"]
            assert response.headers["X-Frame-Options"] == "DENY"
            assert "Strict-Transport-Security" not in response.headers, "plain http"


def test_over_https_pages_demand_https_for_a_year(client):
    with client.get("/tillganglighet", base_url="https://enkat.kommun.example") as response:
        assert response.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_form_sent_over_https_from_our_own_page_is_accepted(client):
    """Browsers send our own pages' address as Referer (same-origin policy), which Flask-WTF
    demands over https; a form posted from another site is refused."""
    base = "https://enkat.kommun.example"
    token = client.csrf_token("/login", base_url=base)
    own = client.post("/login", base_url=base, headers={"Referer": f"{base}/login"},
                      data={"csrf_token": token, "email": "x@kommun.se", "password": "fel"})
    assert own.status_code == 401, "checked the password: the form itself was accepted"
    foreign = client.post("/login", base_url=base, headers={"Referer": "https://evil.example/"},
                          data={"csrf_token": token, "email": "x@kommun.se", "password": "fel"})
    assert foreign.status_code == 400


@pytest.mark.parametrize("query", ["_method=x", "_external=1&_anchor=x", "_scheme=ftp",
                                   "lang=en&lang=sv&_method=POST"])
def test_odd_query_parameters_are_ignored(client, query):
    """The language links rebuild the address with its query: names that url_for reads as
    instructions must stay plain parameters."""
    assert client.get(f"/tillganglighet?{query}").status_code == 200


@pytest.mark.parametrize("number", [2**31, 2**63, 10**30])
def test_an_id_too_large_for_the_database_is_a_missing_page(client, number):
    assert client.get(f"/admin/rounds/{number}").status_code == 404


def test_unknown_pages_are_polite(client):
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "Sidan finns inte" in response.text


def test_session_rows_reveal_neither_cookie_nor_content(client, db_session):
    """A staff member's session is a row; the table alone cannot tell whose session a row is
    or what it holds."""
    auth.add_user(db_session, "admin@kommun.example.se", "admin", "ett långt lösenord")
    client.get("/tillganglighet?lang=en")
    client.submit("/login", {"email": "admin@kommun.example.se",
                             "password": "ett långt lösenord"})
    cookie = client.get_cookie("paverkan").value
    row = db_session.scalars(select(ServerSession)).one()
    assert cookie not in row.id
    assert b"lang" not in row.content and b"staff" not in row.content


def test_a_respondent_leaves_no_session_row_and_their_cookie_shows_nothing(client, db_session):
    """Start page, Start, pages, Send: the respondent's session lives sealed in their cookie,
    so the sessions table never holds a row of theirs, and the cookie shows neither the link
    nor the language."""
    token = InvitationFactory().token
    location = start(client, token, lang="en")
    answer_pages(client, location)
    for cookie in (client.get_cookie("paverkan").value,
                   (client.submit("/svar/granska", {"action": "submit"}),
                    client.get_cookie("paverkan").value)[1]):
        assert cookie.startswith("~") and token not in cookie and "lang" not in cookie
    assert db_session.scalars(select(ServerSession)).all() == []
    assert "lang=sv" in client.get("/svar/tack").text, "English was remembered"


@pytest.mark.parametrize("forged", [
    {"lang": "en", "staff_id": 1},  # a login may not live in a cookie
    {"lang": "en", "respondent_token": "x" * 43, "extra": 1},
])
def test_a_cookie_holding_more_than_a_respondent_may_is_ignored(app, client, forged):
    """Even a cookie sealed with the instance secret holding a login is ignored, so a staff
    session lives only in a row that logging out deletes."""
    from survey.sessions import Session as CookieSession
    from survey.sessions import _sealed_cookie

    with app.app_context():
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        client.set_cookie("paverkan", _sealed_cookie(app, CookieSession(forged), tomorrow))
    page = client.get("/svar")
    assert page.status_code == 403 and "lang=en" in page.text, "a new, Swedish session"
    assert client.get("/admin/").status_code in (302, 303)


def test_a_tampered_session_cookie_starts_a_new_session(client):
    client.get("/tillganglighet?lang=en")
    cookie = client.get_cookie("paverkan").value
    client.set_cookie("paverkan", cookie[:-2] + ("A" if cookie[-2] != "A" else "B") + cookie[-1])
    assert "lang=en" in client.get("/tillganglighet").text, "back to Swedish"


def test_a_visitor_gets_a_cookie_only_when_there_is_something_to_keep(client):
    """A page without a form sets no cookie for a visitor who sent none; a cookie that
    cannot be opened is deleted, not left to be sent again."""
    assert "Set-Cookie" not in client.get("/tillganglighet").headers
    assert "Set-Cookie" not in client.get("/svar/tack").headers  # a redirect
    client.set_cookie("paverkan", "~" + "A" * 600)
    response = client.get("/tillganglighet")
    assert response.headers["Set-Cookie"].startswith("paverkan=;")
    assert client.get_cookie("paverkan") is None


def test_keys_from_the_instance_secret_are_rfc_5869_hkdf():
    """Links, token hashes and drafts made before open the same way: a key derived from the
    instance secret (its first step kept per process) is HKDF-SHA256 as RFC 5869 defines
    it (its test case 3: no salt, no info)."""
    from survey.crypto import derive_key, instance_derived

    expected = ("8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d"
                "9d201395faa4b61a96c8")
    assert derive_key(b"\x0b" * 22, "", 42).hex() == expected
    assert instance_derived("\x0b" * 22, "").hex() == expected[:64]
    assert instance_derived("hemlig", "round-links:7:salt") == derive_key(
        "hemlig", "round-links:7:salt")


def test_schema_refuses_invalid_states(db_session):
    round_ = RoundFactory()
    round_.state = "paused"
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_the_bare_address_tells_respondents_to_use_their_link(client):
    page = client.get("/")
    assert page.status_code == 200
    assert "Öppna den personliga länken i mejlet" in page.text
    assert 'href="/login"' in page.text


def test_a_view_that_fails_half_way_leaves_nothing_in_the_database(app, db_session):
    """Flask still saves the visitor's session after an unhandled error, and saving it
    commits: whatever the failed view had written must be rolled back, not committed."""
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.get("/fails-half-way")
    def fails_half_way():
        flask.session["seen"] = True
        db.session().add(User(email="half@way.se", password_hash="x", role="admin"))
        db.session().flush()
        raise RuntimeError("half way")

    assert app.test_client().get("/fails-half-way").status_code == 500
    assert db_session.scalars(select(User).where(User.email == "half@way.se")).all() == []


def test_proxy_headers_are_believed_only_when_a_proxy_is_configured(app):
    """Without PAVERKAN_PROXY_COUNT a client could claim https or any address; with it, the
    headers the one proxy (nginx) sets are used."""

    @app.get("/_where")
    def where():
        return f"{flask.request.scheme} {flask.request.remote_addr}"

    forged = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "198.51.100.7"}
    direct = app.test_client().get("/_where", headers=forged)
    assert direct.text == "http 127.0.0.1"
    assert "Strict-Transport-Security" not in direct.headers

    proxied = make_test_app(app.config["DATABASE_URL"], app.instance_path, PROXY_COUNT=1)
    proxied.add_url_rule("/_where", view_func=where)
    try:
        behind = proxied.test_client().get("/_where", headers=forged)
    finally:
        db.database(proxied).engine.dispose()
    assert behind.text == "https 198.51.100.7"
    assert behind.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_a_staff_form_kept_in_a_respondents_browser_keeps_the_link_out_of_the_row(
    app, client, db_session
):
    """An invited staff member answering in the same browser sends a stale admin form: the
    kept text needs a row, and the row holds the text but never their link."""
    token = InvitationFactory().token
    start(client, token)
    client.post("/admin/rounds/new", data={"title": "Omgång 2027"},
                headers={"Referer": "http://localhost/admin/rounds/new"})
    row = db_session.scalars(select(ServerSession)).one()
    with app.app_context():
        from survey.sessions import _open

        kept = _open(client.get_cookie("paverkan").value, row)
    assert "respondent_token" not in kept and "respondent_marker" not in kept
    assert "Omgång 2027" in str(dict(kept))
