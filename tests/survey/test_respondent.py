"""The respondent's story: from the personal link to one anonymous response."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from survey.models import Draft, PooledSubmission, Response
from survey.respondent.operations import flush_pool
from tests.conftest import DEFAULT_INSTRUMENT, InvitationFactory, RoundFactory
from tests.survey.walk import fill, page_id


def count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def start(client, token: str, lang: str | None = None):
    """Open the link (start page), press Start; returns where it leads (the first page, or
    where a returning respondent left off)."""
    url = f"/s/{token}" + (f"?lang={lang}" if lang else "")
    page = client.get(url)
    assert page.status_code == 200
    response = client.submit(f"/s/{token}", form_page=url)
    assert response.status_code == 302 and response.location.startswith("/svar/")
    return response.location


def answer_pages(client, location: str, stop_after: int | None = None) -> tuple[str, list[str]]:
    """Answer page after page; returns where it stopped and the page ids seen."""
    seen = []
    while (pid := page_id(location)) is not None:
        page = client.get(location)
        assert page.status_code == 200, page.text
        assert "<script" not in page.text, "pages work without JavaScript"
        seen.append(pid)
        data = {**fill(page.text), "action": "next"}
        response = client.submit(location, data, form_page=location)
        assert response.status_code == 302, response.text
        location = response.location
        if stop_after is not None and len(seen) == stop_after:
            break
    return location, seen


@pytest.mark.parametrize(
    ("lang", "marker"),
    [("sv", "Kontrollera dina svar"), ("en", "Check your answers")],
)
def test_respondent_answers_everything_pauses_and_resumes_on_another_device(
    app, client, db_session, lang, marker
):
    """A respondent answers two pages on the phone, continues on the desktop with the same
    link, reviews and submits once; the pool holds exactly their answers."""
    invitation = InvitationFactory(group="förtroendevald")
    location = start(client, invitation.token, lang)
    location, first = answer_pages(client, location, stop_after=2)
    assert len(first) == 2

    desktop = app.test_client()
    resumed_at = start(desktop, invitation.token, lang)
    assert resumed_at == location, "resumes where the respondent stopped"
    page = desktop.get(resumed_at)
    assert f'<html lang="{lang}">' in page.text
    assert 'value="1" checked' not in page.text, "page 3 was not answered yet"
    location, rest = answer_pages(desktop, resumed_at)
    assert location == "/svar/granska"
    seen = first + rest
    assert seen == [p.id for p in DEFAULT_INSTRUMENT.pages], "every page of an exposed person"

    review = desktop.get("/svar/granska")
    assert marker in review.text
    response = desktop.submit("/svar/granska", {"action": "submit"})
    assert response.location == "/svar/tack"
    assert desktop.get("/svar/tack").status_code == 200

    assert count(db_session, PooledSubmission) == 1
    assert count(db_session, Draft) == 0
    db_session.refresh(invitation)
    assert invitation.state == "invited", "the submit does not touch the invitation"

    answers = flushed_answers(app, db_session, invitation)
    assert answers["a1"] == 1 and answers["b1"] == 1 and answers["c6"] == 0
    assert answers["c7_1"] == 1 and answers["c7_3"] == 0
    assert "a2" not in answers, "staff-only questions were never asked"
    response = db_session.scalars(select(Response)).one()
    assert (response.municipality, response.group) == ("Linköping", "förtroendevald")
    db_session.refresh(invitation)
    assert invitation.state == "responded"


def flushed_answers(app, db_session, invitation) -> dict:
    """The one pooled submission turned into a response (as at the round's close)."""
    with app.app_context():
        assert flush_pool(db_session, invitation.round_id, force=True) == 1
    return db_session.scalars(select(Response)).one().answers


def test_the_start_page_consumes_nothing(client, db_session):
    """Mail scanners that prefetch the link do no harm: GET changes no row."""
    invitation = InvitationFactory()
    for _ in range(3):
        assert client.get(f"/s/{invitation.token}").status_code == 200
    assert count(db_session, Draft) == 0 and count(db_session, PooledSubmission) == 0
    db_session.refresh(invitation)
    assert invitation.state == "invited"


def test_the_start_page_names_the_municipalities_as_prose(client, db_session):
    """The organisers read as a sentence in each language, not as a comma-separated list."""
    invitation = InvitationFactory()
    assert "av Linköping och Norrköping för att" in client.get(f"/s/{invitation.token}").text
    english = client.get(f"/s/{invitation.token}?lang=en").text
    assert "by Linköping and Norrköping to learn" in english


def test_unknown_and_malformed_links_get_a_polite_page(client):
    for token in ("x" * 43, "short", "a/../../etc", "%00" * 20):
        response = client.get(f"/s/{token}")
        assert response.status_code == 404
        assert "Länken fungerar inte" in response.text


def test_trading_the_link_gives_a_new_session_and_a_token_free_address(client, db_session):
    invitation = InvitationFactory()
    client.get(f"/s/{invitation.token}?lang=en")
    before = client.get_cookie("paverkan").value
    response = client.submit(f"/s/{invitation.token}")
    assert invitation.token not in response.location
    assert client.get_cookie("paverkan").value != before


def test_staff_see_staff_questions_and_filtered_pages_are_skipped(client, db_session):
    """A staff member who was never exposed skips the incident pages; progress counts only
    the pages they see."""
    invitation = InvitationFactory(group="medarbetare")
    location = start(client, invitation.token)
    first = client.get(location).text
    assert 'name="a2"' in first and 'name="a1"' not in first
    pages = len([p for p in DEFAULT_INSTRUMENT.pages if p.show_if is None])
    assert f"Sida 1 av {pages}" in first
    data = fill(first)
    client.submit(location, {**data, "action": "next"})
    for grid_page in ("exposure_harassment", "exposure_threats", "exposure_violence"):
        html = client.get(f"/svar/sida/{grid_page}").text
        no = {name: "0" for name in fill(html)}
        response = client.submit(f"/svar/sida/{grid_page}", {**no, "action": "next"})
    assert response.location == "/svar/sida/consequences_work"
    assert f"av {pages}" in client.get(response.location).text
    assert client.get("/svar/sida/incident_what").location == "/svar"


def test_changing_an_answer_clears_answers_to_pages_no_longer_shown(app, client, db_session):
    invitation = InvitationFactory()
    location = start(client, invitation.token)
    location, _ = answer_pages(client, location, stop_after=7)
    html = client.get("/svar/sida/exposure_harassment").text
    for grid_page in ("exposure_harassment", "exposure_threats", "exposure_violence"):
        html = client.get(f"/svar/sida/{grid_page}").text
        client.submit(f"/svar/sida/{grid_page}", {n: "0" for n in fill(html)} | {"action": "next"})
    client.get("/svar/granska")
    client.submit("/svar/granska", {"action": "submit"})
    answers = flushed_answers(app, db_session, invitation)
    assert not any(name.startswith("c") for name in answers), answers
    assert answers["b1"] == 0


def test_back_keeps_the_answers_and_returns_to_the_previous_page(client, db_session):
    invitation = InvitationFactory()
    location = start(client, invitation.token)
    location, _ = answer_pages(client, location, stop_after=1)
    html = client.get(location).text
    response = client.submit(location, {**fill(html), "action": "back"})
    assert response.location == "/svar/sida/role"
    assert 'value="1" checked' in client.get("/svar/sida/role").text


def test_round_not_yet_open_or_closed_says_so(client, db_session):
    import datetime as dt

    later = RoundFactory(state="draft")
    invitation = InvitationFactory(round=later)
    assert "har inte öppnat" in client.get(f"/s/{invitation.token}").text
    later.state = "open"
    later.closes_on = dt.date.today() - dt.timedelta(days=1)
    later.opens_on = later.closes_on - dt.timedelta(days=10)
    db_session.flush()
    assert "Enkäten är stängd" in client.get(f"/s/{invitation.token}").text


def test_a_change_from_the_review_page_returns_to_it(client, db_session):
    """Changing an answer from the review page leads back there, unless the change opens
    pages the respondent has not seen yet."""
    invitation = InvitationFactory()
    location = start(client, invitation.token)
    for page in [p.id for p in DEFAULT_INSTRUMENT.pages if p.show_if is None]:
        html = client.get(f"/svar/sida/{page}").text
        no = {name: ("0" if name.startswith("b") else value) for name, value in fill(html).items()}
        client.submit(f"/svar/sida/{page}", {**no, "action": "next"})
    assert "/svar/sida/role?granska=1" in client.get("/svar/granska").text
    url = "/svar/sida/background?granska=1"
    response = client.submit(url, {**fill(client.get(url).text), "action": "next"})
    assert response.location == "/svar/granska"
    url = "/svar/sida/exposure_threats?granska=1"
    response = client.submit(url, {"b5": "1", "action": "next"})
    assert response.location == "/svar/sida/incident_what", "the new follow-up pages come first"
    assert location.startswith("/svar/sida/")
