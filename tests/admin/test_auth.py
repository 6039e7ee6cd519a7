"""Staff login: roles, throttling, timeout, logout, password change, and the role matrix."""

from __future__ import annotations

import pytest
from flask import url_for

from survey.auth import operations
from survey.models import ROLES
from tests.admin.conftest import PASSWORD_OF

#: Pages anybody may open: the respondent's, the opt-out link, the login page and static files.
PUBLIC_BLUEPRINTS = {"respondent", "optout", "site"}
PUBLIC_ENDPOINTS = {"static", "auth.login", "auth.logout"}


def test_an_admin_logs_in_and_reaches_the_rounds(client, login):
    login(client, "admin")
    page = client.get("/admin/")
    assert page.status_code == 200
    assert "Omgångar" in page.text or "Rounds" in page.text


def test_a_wrong_password_and_an_unknown_address_get_the_same_answer(client, db_session):
    operations.add_user(db_session, "anna@kommun.se", "admin", PASSWORD_OF)
    wrong = client.submit("/login", {"email": "anna@kommun.se", "password": "fel lösenord!"})
    unknown = client.submit("/login", {"email": "ingen@kommun.se", "password": "fel lösenord!"})
    assert wrong.status_code == unknown.status_code == 401
    assert _message(wrong.text) == _message(unknown.text)


def _message(html: str) -> str:
    return html.split('role="alert"', 1)[1].split("</ul>", 1)[0]


def test_logout_ends_the_session_on_the_server(app, client, login):
    login(client, "admin")
    cookie = client.get_cookie("paverkan").value
    client.submit("/logout", {}, form_page="/admin/")
    thief = app.test_client()
    thief.set_cookie("paverkan", cookie)
    assert thief.get("/admin/").status_code == 302


def test_an_idle_session_times_out(app, client, login):
    login(client, "admin")
    app.config["ADMIN_IDLE_MINUTES"] = -1
    response = client.get("/admin/")
    assert response.status_code == 302
    assert response.location.startswith("/login")


def test_changing_the_password_needs_the_current_one(app, client, login, db_session):
    login(client, "chief")
    refused = client.submit("/password", {"current": "fel", "new": "ett nytt långt lösen",
                                          "repeat": "ett nytt långt lösen"})
    assert refused.status_code == 200 and "error-summary" in refused.text
    changed = client.submit("/password", {"current": PASSWORD_OF, "new": "ett nytt långt lösen",
                                          "repeat": "ett nytt långt lösen"})
    assert changed.status_code == 302
    user = operations.find_user(db_session, "chief@kommun.example.se")
    with app.app_context():
        assert operations.authenticate(db_session, user.email, "ett nytt långt lösen",
                                       client="10.1.2.3") == user
        with pytest.raises(operations.LoginRefused):
            operations.authenticate(db_session, user.email, PASSWORD_OF, client="10.1.2.3")


@pytest.mark.parametrize("target", [
    "//evil.example/", "/%09/evil.example", "/%5C/evil.example", "/%5Cevil.example",
    "/%0A/evil.example", "/%0D%0ALocation:%20https://evil.example", "https://evil.example",
    "%20//evil.example",
])
def test_login_never_redirects_to_another_site(client, db_session, target):
    """Browsers drop tabs and line breaks and read a backslash as a slash, so each of these
    would lead to evil.example (or, with a line break, break the header: a 500)."""
    operations.add_user(db_session, "anna@kommun.se", "admin", PASSWORD_OF)
    response = client.submit(f"/login?next={target}", {"email": "anna@kommun.se",
                                                       "password": PASSWORD_OF})
    assert response.status_code == 302
    assert response.location == "/admin/"


def test_login_returns_to_the_page_that_asked_for_it(client, db_session):
    operations.add_user(db_session, "anna@kommun.se", "admin", PASSWORD_OF)
    response = client.submit("/login?next=/admin/rounds/new%3Fx%3D1",
                             {"email": "anna@kommun.se", "password": PASSWORD_OF})
    assert response.location == "/admin/rounds/new?x=1"


def test_user_add_on_the_command_line_stores_an_argon2_hash(runner, db_session):
    result = runner.invoke(args=["user", "add", "sakerhet@linkoping.se", "--role", "admin",
                                 "--password", "ett långt lösenord"])
    assert result.exit_code == 0, result.output
    user = operations.find_user(db_session, "sakerhet@linkoping.se")
    assert user.password_hash.startswith("$argon2id$")
    short = runner.invoke(args=["user", "add", "x@linkoping.se", "--role", "chief",
                                "--password", "kort"])
    assert short.exit_code != 0


def _url(app, rule, round_id: int) -> str:
    samples = {"round_id": round_id, "kind": "invitation", "token": "x" * 43, "mailing_id": 1,
               "user_id": 1, "job_id": 1, "page_id": "p1", "filename": "paverkan.css"}
    with app.test_request_context():
        return url_for(rule.endpoint, **{name: samples[name] for name in rule.arguments})


@pytest.mark.parametrize("role", [None, *ROLES])
def test_every_route_lets_in_exactly_the_roles_it_names(app, client, login, open_round, role):
    """Discovered from the URL map: a new route is covered without touching this test, and a
    staff route without a role decorator fails here."""
    if role:
        login(client, role)
    app.config["WTF_CSRF_ENABLED"] = False  # reach the role check on POST routes too
    checked = 0
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        roles = getattr(view, "required_roles", None)
        blueprint = rule.endpoint.partition(".")[0]
        if roles is None:
            assert blueprint in PUBLIC_BLUEPRINTS or rule.endpoint in PUBLIC_ENDPOINTS, (
                f"{rule.endpoint} has no role check and is not public"
            )
            continue
        url = _url(app, rule, open_round.id)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(url, method=method, data={})
            checked += 1
            where = f"{method} {url} as {role}"
            if role is None:
                assert response.status_code == 302, where
                assert response.location.startswith("/login"), where
            elif role in roles:
                assert response.status_code not in (403, 500), where
                assert not (response.location or "").startswith("/login"), where
            else:
                assert response.status_code == 403, where
    assert checked >= 10


def test_a_forgotten_password_is_reset_and_a_leaver_deactivated_on_the_command_line(
    app, runner, client, login, db_session
):
    login(client, "admin", "anna@kommun.example.se")
    reset = runner.invoke(args=["user", "password", "anna@kommun.example.se",
                                "--password", "ett helt nytt lösenord"])
    assert reset.exit_code == 0, reset.output
    assert client.get("/admin/").status_code == 302, "the old session ended"
    assert runner.invoke(args=["user", "deactivate", "anna@kommun.example.se"]).exit_code == 0
    refused = client.submit("/login", {"email": "anna@kommun.example.se",
                                       "password": "ett helt nytt lösenord"})
    assert refused.status_code == 401
    listing = runner.invoke(args=["user", "list"])
    assert "anna@kommun.example.se\tadmin\tdeactivated" in listing.output
    assert runner.invoke(args=["user", "password", "ingen@x.se", "--password",
                               "ett helt nytt lösenord"]).exit_code != 0
