"""Every odd path ends on a clear page: never a 500, never a second response."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from survey import sessions
from survey.models import Draft, PooledSubmission, Response
from survey.respondent.operations import flush_pool
from tests.conftest import InvitationFactory, RoundFactory
from tests.survey.test_respondent import answer_pages, start
from tests.survey.walk import fill

ALREADY = "Tack, ditt svar är redan inskickat"


def submissions(db_session) -> int:
    pooled = db_session.scalar(select(func.count()).select_from(PooledSubmission))
    return pooled + db_session.scalar(select(func.count()).select_from(Response))


@pytest.fixture
def submitted(app, client, db_session):
    """A respondent who has just sent their answers; returns their invitation."""
    invitation = InvitationFactory()
    location = start(client, invitation.token)
    answer_pages(client, location)
    invitation.review_csrf = client.csrf_token("/svar/granska")
    response = client.post(
        "/svar/granska", data={"action": "submit", "csrf_token": invitation.review_csrf}
    )
    assert response.location == "/svar/tack"
    return invitation


def test_a_second_submit_lands_on_the_thanks_and_changes_nothing(client, db_session, submitted):
    """The review page sent again (double click, browser resend) with its old CSRF token:
    the respondent sees the thanks, as after the first press, and nothing more is stored."""
    token = submitted.review_csrf
    response = client.post("/svar/granska", data={"action": "submit", "csrf_token": token})
    assert response.status_code == 302 and response.location == "/svar/tack"
    assert "Tack för dina svar" in client.get("/svar/tack").text
    assert submissions(db_session) == 1


def test_back_after_submit_says_it_is_already_sent(client, db_session, submitted):
    for url in ("/svar", "/svar/sida/role", "/svar/sida/background", "/svar/granska"):
        response = client.get(url)
        assert response.status_code == 200 and ALREADY in response.text, url
    assert submissions(db_session) == 1


def test_the_link_opened_again_after_submit_says_so_on_every_device(app, db_session, submitted):
    other = app.test_client()
    assert ALREADY in other.get(f"/s/{submitted.token}").text
    assert submissions(db_session) == 1


def test_two_tabs_submitting_give_one_response(app, db_session):
    """Two sessions on the same link, both on the review page: one response, one thank-you."""
    invitation = InvitationFactory()
    first, second = app.test_client(), app.test_client()
    answer_pages(first, start(first, invitation.token))
    start(second, invitation.token)
    token = second.csrf_token("/svar/granska")
    assert first.submit("/svar/granska", {"action": "submit"}).location == "/svar/tack"
    late = second.post("/svar/granska", data={"action": "submit", "csrf_token": token})
    assert late.location == "/svar/tack", "the answers are in: the second tab thanks too"
    assert submissions(db_session) == 1
    assert ALREADY in second.get("/svar/sida/role").text


def test_a_tab_still_answering_learns_that_the_other_submitted(app, db_session):
    """The second tab's session still holds the link; its next page, before and after the
    flush timer ran, says the answers are in and stores nothing."""
    round_ = RoundFactory()
    invitation = InvitationFactory(round=round_)
    first, second = app.test_client(), app.test_client()
    answer_pages(first, start(first, invitation.token))
    waiting = start(second, invitation.token)
    assert first.submit("/svar/granska", {"action": "submit"}).location == "/svar/tack"
    assert ALREADY in second.get(waiting).text
    for _ in range(2):
        InvitationFactory(round=round_)
    with app.app_context():
        flush_pool(db_session, round_.id, force=True)
    assert ALREADY in second.get(waiting).text
    assert submissions(db_session) == 1


def test_after_the_pool_flush_repeats_still_say_so(app, client, db_session):
    """Once the flush timer turned the pool into responses (here: three respondents), the
    link still knows."""
    round_ = RoundFactory()
    invitations = [InvitationFactory(round=round_) for _ in range(3)]
    for invitation in invitations:
        browser = app.test_client()
        answer_pages(browser, start(browser, invitation.token))
        browser.submit("/svar/granska", {"action": "submit"})
    with app.app_context():
        flush_pool(db_session, round_.id)
    assert db_session.scalar(select(func.count()).select_from(Response)) == 3
    assert ALREADY in client.get(f"/s/{invitations[0].token}").text


def test_an_expired_session_asks_to_open_the_link_again_and_keeps_the_answers(
    app, client, db_session
):
    invitation = InvitationFactory()
    location, _ = answer_pages(client, start(client, invitation.token), stop_after=2)
    html = client.get(location).text
    with app.app_context():  # the cookie as it would be after the idle days
        kept = sessions._from_cookie(app, client.get_cookie("paverkan").value)
        yesterday = dt.date.today() - dt.timedelta(days=1)
        client.set_cookie("paverkan", sessions._sealed_cookie(app, kept, yesterday))
    response = client.post(location, data={**fill(html), "action": "next"})
    assert response.status_code in (400, 403)
    assert "Öppna länken i ditt mejl igen" in response.text
    fresh = app.test_client()
    assert start(fresh, invitation.token) == location, "the saved pages survived"


def test_a_forged_csrf_token_is_refused_clearly(client, db_session):
    invitation = InvitationFactory()
    location = start(client, invitation.token)
    html = client.get(location).text
    response = client.post(location, data={**fill(html), "csrf_token": "forged", "action": "next"})
    assert response.status_code == 400
    assert "Formuläret har gått ut" in response.text
    assert db_session.scalar(select(func.count()).select_from(Draft)) == 0


@pytest.mark.parametrize(
    "tampered",
    [
        {"a2": "7"},
        {"a2": "not-a-number"},
        {"a2": "1" * 400},
        {"a3": "-1"},
        {"a2": ["1", "99999999999999999999"]},
    ],
)
def test_tampered_choices_are_shown_as_errors_and_not_stored(client, db_session, tampered):
    invitation = InvitationFactory(group="medarbetare")
    location = start(client, invitation.token)
    response = client.submit(location, {**tampered, "action": "next"})
    assert response.status_code == 200
    assert "Det finns något att rätta på sidan" in response.text
    assert "Välj ett av de alternativ som visas." in response.text
    assert db_session.scalar(select(func.count()).select_from(Draft)) == 0


def test_tampered_checkbox_values_are_refused(client, db_session):
    invitation = InvitationFactory()
    location, _ = answer_pages(client, start(client, invitation.token), stop_after=6)
    assert location == "/svar/sida/incident_after"
    html = client.get(location).text
    response = client.submit(location, {**fill(html), "c7": ["1", "12345"], "action": "next"})
    assert "Välj bland de alternativ som visas." in response.text


def test_oversized_text_gets_a_clear_message_and_keeps_what_was_written(client, db_session):
    invitation = InvitationFactory()
    location, _ = answer_pages(client, start(client, invitation.token), stop_after=11)
    assert location == "/svar/sida/free_text"
    long_text = "å" * 2500
    response = client.submit(location, {"f1": long_text, "f2": "kort", "action": "next"})
    assert response.status_code == 200
    assert "högst 2000 tecken, du skrev 2500" in response.text
    assert long_text in response.text, "nothing the respondent wrote is thrown away"


def test_a_huge_request_body_is_refused_with_a_page(client, db_session):
    invitation = InvitationFactory()
    location = start(client, invitation.token)
    response = client.submit(location, {"f1": "x" * 400_000, "action": "next"})
    assert response.status_code == 413
    assert "För mycket text" in response.text


def test_a_page_left_open_for_days_still_accepts_next(client, db_session, monkeypatch):
    """No time limit loses answers: a CSRF token three days old is still good."""
    import time

    invitation = InvitationFactory()
    location = start(client, invitation.token)
    html = client.get(location).text
    token = client.csrf_token(location)
    later = time.time() + 3 * 24 * 3600
    monkeypatch.setattr(time, "time", lambda: later)
    response = client.post(location, data={**fill(html), "action": "next", "csrf_token": token})
    assert response.status_code == 302


def test_a_control_character_in_free_text_is_submitted_without_a_500(app, client, db_session):
    """A NUL pasted into a free-text answer (PostgreSQL refuses NUL in text and jsonb) goes
    through the draft, the pool and the flush into a response like any other answer."""
    invitation = InvitationFactory()
    location, _ = answer_pages(client, start(client, invitation.token), stop_after=11)
    assert location == "/svar/sida/free_text"
    response = client.submit(location, {"f1": "före\x00efter", "f2": "kort", "action": "next"})
    assert response.status_code in (200, 302)
    response = client.submit("/svar/granska", {"action": "submit"})
    assert response.location == "/svar/tack"
    with app.app_context():
        flush_pool(db_session, invitation.round_id, force=True)
    stored = db_session.scalars(select(Response)).one().answers
    assert stored["f2"] == "kort" and "efter" in stored["f1"]
