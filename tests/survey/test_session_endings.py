"""What a respondent is told when their session has ended: by a double click's first press,
by the round's close, or by time. Every page says only what is true in that situation: no
"your answers are kept" after a close (it deleted them) or after the submit (they were sent)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from survey import sessions
from survey.admin import operations as admin
from survey.models import PooledSubmission, Response, ServerSession
from tests.conftest import InvitationFactory, RoundFactory
from tests.survey.test_respondent import answer_pages, count, start
from tests.survey.walk import fill, page_id

REVIEW = "/svar/granska"
COOKIE = "paverkan"
KEPT = "finns kvar"
CLOSED_TOLD = "Din session avslutades när enkäten stängdes"
SENT_BEFORE_ARE_IN = "Om du skickade dina svar innan dess är de med"


def _cookie(client) -> str:
    return client.get_cookie(COOKIE).value


def test_a_double_click_on_send_ends_both_presses_on_the_thanks_page_counted_once(
    app, client, db_session
):
    """The second press leaves the browser before the first one's answer arrives, so it
    carries the cookie of the session the first press ended: it meets the thanks too."""
    invitation = InvitationFactory()
    answer_pages(client, start(client, invitation.token))
    form = {"action": "submit", "csrf_token": client.csrf_token(REVIEW)}
    before_submit = _cookie(client)
    first = client.post(REVIEW, data=form)
    assert first.location == "/svar/tack"
    client.set_cookie(COOKIE, before_submit)  # the second request left with the old cookie
    second = client.post(REVIEW, data=form)
    assert second.status_code == 302 and second.location == "/svar/tack", second.text
    assert "Tack för dina svar" in client.get(second.location).text
    db_session.expire_all()
    assert count(db_session, Response) + count(db_session, PooledSubmission) == 1
    assert db_session.scalars(select(ServerSession)).all() == [], "no row, ever"


def test_a_respondent_thanked_before_the_close_is_told_that_the_survey_closed(
    app, client, db_session
):
    """Thanked, then the round closes (their session with it): reloading the thanks page or
    pressing Send again on the old form says the survey closed and that answers sent before
    are in, never that answers are kept or that the session merely ended."""
    round_ = RoundFactory(state="open")
    invitation = InvitationFactory(round=round_)
    answer_pages(client, start(client, invitation.token))
    form = {"action": "submit", "csrf_token": client.csrf_token(REVIEW)}
    assert client.post(REVIEW, data=form).location == "/svar/tack"
    with app.app_context():
        admin.close_round(db_session, round_)
    reload = client.get("/svar/tack", follow_redirects=True)
    again = client.post(REVIEW, data=form)
    for page in (reload, again):
        assert page.status_code == 403
        assert CLOSED_TOLD in page.text and SENT_BEFORE_ARE_IN in page.text
        assert KEPT not in page.text and "Din session har avslutats" not in page.text
    english = client.get("/svar/tack?lang=en", follow_redirects=True).text
    assert "Your session ended when the survey closed" in english


def test_a_respondent_halfway_when_the_survey_closes_is_told_it_closed(
    app, client, db_session
):
    """Their saved pages went with the close: the next page they open, or the page they
    send, says the survey closed, not "open your link again, your answers are kept"."""
    round_ = RoundFactory(state="open")
    invitation = InvitationFactory(round=round_)
    location, _ = answer_pages(client, start(client, invitation.token), stop_after=1)
    html = client.get(location).text
    with app.app_context():
        admin.close_round(db_session, round_)
    sent = client.post(location, data={**fill(html), "action": "next"})
    opened = client.get(location)
    for page in (sent, opened):
        assert page.status_code == 403
        assert CLOSED_TOLD in page.text and KEPT not in page.text


def test_the_expired_form_page_says_answers_are_kept_only_while_a_link_is_held(
    app, client, db_session
):
    """A form refused for its token: a respondent still answering keeps their saved pages;
    a thanked one is not told that their (sent) answers are kept."""
    invitation = InvitationFactory()
    location, _ = answer_pages(client, start(client, invitation.token), stop_after=1)
    html = client.get(location).text
    refused = client.post(location, data={**fill(html), "action": "next", "csrf_token": "x"})
    assert refused.status_code == 400 and KEPT in refused.text
    answer_pages(client, location)
    client.submit(REVIEW, {"action": "submit"})
    refused = client.post(REVIEW, data={"action": "submit", "csrf_token": "forged"})
    assert refused.status_code == 400 and KEPT not in refused.text


def test_a_link_of_a_new_round_is_not_told_that_the_old_round_closed(app, client, db_session):
    """The browser still holds a cookie naming last year's closed round: this year's link,
    even with a form refused for its token, speaks for this year's open round."""
    last_year = RoundFactory(state="open")
    answer_pages(client, start(client, InvitationFactory(round=last_year).token))
    client.submit(REVIEW, {"action": "submit"})
    with app.app_context():
        admin.close_round(db_session, last_year)
    assert CLOSED_TOLD in client.get("/svar/tack", follow_redirects=True).text
    this_year = InvitationFactory(round=RoundFactory(state="open"))
    refused = client.post(f"/s/{this_year.token}", data={"csrf_token": "expired"})
    assert refused.status_code == 400 and "Enkäten är stängd" not in refused.text
    assert page_id(start(client, this_year.token)), "this year's questionnaire opens"


def test_a_thanked_cookie_older_than_the_database_meets_the_ended_page(app, client):
    """A backup restored from before the round: the browser's cookie names a round that is
    not there; the thanks page says the session ended (never a 500)."""
    with app.app_context():
        stale = sessions.Session({"respondent_submitted": 999999}, round_id=999999)
        tomorrow = dt.date.today() + dt.timedelta(days=1)
        client.set_cookie(COOKIE, sessions._sealed_cookie(app, stale, tomorrow))
    page = client.get("/svar/tack")
    assert page.status_code == 403 and "Öppna länken i ditt mejl igen" in page.text


def test_after_the_close_the_cookie_forgets_the_erased_link(app, client, db_session):
    round_ = RoundFactory(state="open")
    invitation = InvitationFactory(round=round_)
    answer_pages(client, start(client, invitation.token), stop_after=1)
    with app.app_context():
        admin.close_round(db_session, round_)
    assert CLOSED_TOLD in client.get("/svar").text
    with app.app_context():
        kept = sessions._from_cookie(app, _cookie(client))
    assert "respondent_token" not in kept and kept.round_id == round_.id
    assert CLOSED_TOLD in client.get("/svar").text, "the page stays"
