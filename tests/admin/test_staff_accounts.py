"""An administrator manages staff accounts from the pages, without the terminal."""

from __future__ import annotations

from survey.auth import operations as accounts
from tests.admin.conftest import PASSWORD_OF

NEW_PASSWORD = "grön tekopp under bron"


def test_an_account_is_added_given_a_role_reset_and_deactivated(app, admin_client, db_session):
    response = admin_client.submit("/admin/konton", {
        "email": "chef@linkoping.se", "role": "chief", "password": PASSWORD_OF})
    assert response.status_code == 302
    user = accounts.find_user(db_session, "chef@linkoping.se")
    assert (user.role, user.active) == ("chief", True)
    assert "chef@linkoping.se" in admin_client.get("/admin/konton").text

    page = f"/admin/konton/{user.id}"
    admin_client.submit(page, {"role-role": "researcher"}, form_page=page)
    db_session.refresh(user)
    assert user.role == "researcher"
    admin_client.submit(page, {"password-password": NEW_PASSWORD}, form_page=page)
    other = app.test_client()
    assert other.submit("/login", {"email": "chef@linkoping.se",
                                   "password": NEW_PASSWORD}).status_code == 302

    admin_client.submit(f"{page}/aktiv", {}, form_page=page)
    db_session.refresh(user)
    assert not user.active
    assert other.get("/resultat/").status_code in (302, 403), "the open session ends"


def test_a_weak_password_or_a_taken_address_is_explained_and_nothing_is_added(
    admin_client, db_session
):
    response = admin_client.submit("/admin/konton", {
        "email": "chef@linkoping.se", "role": "chief", "password": "kort"})
    assert response.status_code == 200 and "error-summary" in response.text
    assert accounts.find_user(db_session, "chef@linkoping.se") is None


def test_the_only_administrator_cannot_lock_everyone_out(admin_client, db_session):
    admin = accounts.find_user(db_session, "admin@kommun.example.se")
    page = f"/admin/konton/{admin.id}"
    response = admin_client.submit(page, {"role-role": "chief"}, form_page=page)
    assert "enda aktiva administratören" in response.text
    admin_client.submit(f"{page}/aktiv", {}, form_page=page)
    db_session.refresh(admin)
    assert (admin.role, admin.active) == ("admin", True)


def test_only_an_administrator_reaches_the_accounts(client, login):
    login(client, "chief")
    assert client.get("/admin/konton").status_code == 403
