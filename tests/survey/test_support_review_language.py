"""Support after a hard answer, a short review with Send at both ends, and a half-filled
page that survives a language switch or a visit to the accessibility statement."""

from __future__ import annotations

from survey.respondent.operations import load_draft
from tests.conftest import InvitationFactory
from tests.survey.test_option_conditions import report
from tests.survey.test_respondent import start

SUPPORT = "Här kan du få stöd"


def draft(app, db_session, invitation):
    with app.app_context():
        return load_draft(db_session, invitation.token)


def test_someone_who_reported_death_threats_meets_support_on_the_next_page(client, db_session):
    invitation = InvitationFactory()
    assert SUPPORT in client.get(f"/s/{invitation.token}").text, "the start page has it too"
    start(client, invitation.token)
    report(client, {"b6": "1"})
    page = client.get("/svar/sida/incident_what").text
    assert SUPPORT in page and "116 006" in page and "112" in page
    assert SUPPORT not in client.get("/svar/sida/incident_report").text, "once, not on every page"


def test_someone_who_reported_nothing_is_not_shown_support_in_between(client, db_session):
    invitation = InvitationFactory()
    start(client, invitation.token)
    report(client, {})
    assert SUPPORT not in client.get("/svar/sida/consequences_work").text


def test_a_rounds_own_support_text_and_contact_replace_the_default(client, db_session):
    invitation = InvitationFactory()
    invitation.round.support_sv = "Ring säkerhetsenheten på 013-20 60 00.\n\nVi finns här."
    invitation.round.support_en = "Call the security unit."
    db_session.flush()
    page = client.get(f"/s/{invitation.token}").text
    assert "Ring säkerhetsenheten på 013-20 60 00." in page and "<p>Vi finns här.</p>" in page
    assert "Brottsofferjouren" not in page
    assert "Call the security unit." in client.get(f"/s/{invitation.token}?lang=en").text


def test_the_review_lists_only_answers_grouped_by_page_with_send_at_top_and_bottom(
    client, db_session
):
    invitation = InvitationFactory(group="medarbetare")
    start(client, invitation.token)
    report(client, {"b6": "2"})
    client.get("/svar/granska")
    html = client.get("/svar/granska").text
    assert html.count('value="submit"') == 2
    assert html.count("Skicka in mina svar") == 2
    assert "/svar/sida/exposure_threats?granska=1" in html
    assert "Dödshot: <strong>Ja, 2–5 gånger</strong>" in html
    assert "Har du under 2025 blivit utsatt för något av följande?" in html
    assert html.count("Har du under 2025 blivit utsatt för något av följande?") == 3, \
        "the stem once per grid, not once per row"
    assert "Inga svar på den här sidan." in html, "the pages left empty say so"
    assert "Hur skrämmande" not in html, "an unanswered question is not listed"


def test_switching_language_on_a_half_filled_page_keeps_what_was_entered(
    app, client, db_session
):
    invitation = InvitationFactory(group="medarbetare")
    location = start(client, invitation.token)
    assert location == "/svar/sida/role"
    response = client.submit(location, {"a2": "1", "action": "lang-en"})
    assert response.location == "/svar/sida/role"
    page = client.get("/svar/sida/role").text
    assert '<html lang="en">' in page
    assert 'id="a2-1" name="a2" value="1" checked' in page
    assert draft(app, db_session, invitation).answers["a2"] == 1


def test_the_accessibility_statement_from_a_half_filled_page_keeps_what_was_entered(
    app, client, db_session
):
    invitation = InvitationFactory(group="medarbetare")
    location = start(client, invitation.token)
    response = client.submit(location, {"a3": "2", "action": "accessibility"})
    assert response.location == "/tillganglighet"
    assert draft(app, db_session, invitation).answers["a3"] == 2
    assert client.get("/svar").location == "/svar/sida/role", "back where the respondent was"


def test_a_language_switch_with_a_mistake_on_the_page_shows_it_in_the_new_language(
    client, db_session
):
    invitation = InvitationFactory(group="medarbetare")
    location = start(client, invitation.token)
    response = client.submit(location, {"a2": "7", "a3": "2", "action": "lang-en"})
    assert response.status_code == 200
    assert "Choose one of the options shown." in response.text
    assert 'id="a3-2" name="a3" value="2" checked' in response.text
