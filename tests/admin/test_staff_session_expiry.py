"""An admin who edits the invitation text for a long while, or whose session is gone, loses
nothing: the login is asked for again in staff wording and the text comes back to send."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from survey.admin.models import MailTemplate
from tests.admin.conftest import PASSWORD_OF

NEW_BODY = "Hej!\n\nVår egen text om enkäten. {link}\n\n{optout}\n"


def own_page(url: str) -> dict:
    return {"Referer": f"http://localhost{url}"}


def log_in_again(client, login_location: str):
    page = client.get(login_location).text
    assert "Din inloggning har gått ut" in page and "Formuläret har gått ut" not in page
    return client.submit(login_location, {"email": "admin@kommun.example.se",
                                          "password": PASSWORD_OF})


def test_an_invitation_text_sent_after_the_idle_timeout_is_kept_across_the_login(
    app, admin_client, db_session, open_round
):
    url = f"/admin/rounds/{open_round.id}/mail/invitation"
    token = admin_client.csrf_token(url)
    app.config["ADMIN_IDLE_MINUTES"] = -1
    response = admin_client.post(url, headers=own_page(url), data={
        "csrf_token": token, "subject_sv": "Vår enkät", "subject_en": "Our survey",
        "body_sv": NEW_BODY, "body_en": NEW_BODY})
    assert response.status_code == 302 and response.location.startswith("/login")
    app.config["ADMIN_IDLE_MINUTES"] = 30

    back = log_in_again(admin_client, response.location)
    assert back.status_code == 302 and back.location == url
    page = admin_client.get(url).text
    assert "Vår egen text om enkäten." in page and 'value="Vår enkät"' in page
    saved = db_session.scalar(select(MailTemplate.body_sv).where(
        MailTemplate.round_id == open_round.id, MailTemplate.kind == "invitation"))
    assert "Vår egen text" not in saved  # kept for the admin to send, not saved behind them
    assert "Vår egen text" not in admin_client.get(url).text  # shown once


def test_dates_posted_when_the_session_is_gone_come_back_in_staff_wording(
    app, client, login, db_session, open_round
):
    url = f"/admin/rounds/{open_round.id}/dates"
    closes = (dt.date.today() + dt.timedelta(days=44)).isoformat()
    forged = client.post(url, headers={"Referer": "https://elsewhere.example/"},
                         data={"opens_on": "2026-01-01", "closes_on": "2099-01-01"})
    assert forged.status_code == 302
    response = client.post(url, headers=own_page(url), data={
        "opens_on": open_round.opens_on.isoformat(), "closes_on": closes})
    assert response.status_code == 302 and response.location.startswith("/login")
    login(client, "admin")  # creates the account; the draft survives this login too
    page = client.get(url).text
    assert f'value="{closes}"' in page and "2099-01-01" not in page
