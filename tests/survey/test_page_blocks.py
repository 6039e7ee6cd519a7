"""A question page's blank questions, and whole pages that show nothing of a respondent's,
are rendered once per process and shown to the next respondent
(survey/respondent/fragments.py): each respondent still sees their own options in their own
language, with their own CSRF token and language switch, and no answer, link or token stays
behind in what is kept."""

from __future__ import annotations

import re

from survey.respondent import fragments
from tests.conftest import InvitationFactory
from tests.survey.test_option_conditions import report
from tests.survey.test_respondent import start
from tests.survey.walk import Controls, fill

FREE_TEXT = "Ordföranden i nämnden ringde mig en kväll i mars."


def test_respondents_who_reported_different_kinds_each_see_their_own_options(app, db_session):
    threatened, harassed = app.test_client(), app.test_client()
    first = InvitationFactory()
    start(threatened, first.token)
    start(harassed, InvitationFactory(round=first.round).token)
    report(threatened, {"b5": "1", "b6": "2"})
    report(harassed, {"b1": "1"})
    for client, offered in ((threatened, ["5", "6", "99"]), (harassed, ["1", "99"]),
                            (threatened, ["5", "6", "99"])):
        assert Controls(client.get("/svar/sida/incident_what").text).radios["c1"] == offered


def test_a_page_in_english_after_the_same_page_in_swedish_is_in_english(app, db_session):
    swedish, english = app.test_client(), app.test_client()
    first = InvitationFactory()
    start(swedish, first.token)
    start(english, InvitationFactory(round=first.round).token, lang="en")
    assert "Har du under" in swedish.get("/svar/sida/exposure_harassment").text
    page = english.get("/svar/sida/exposure_harassment").text
    assert "Har du under" not in page and "were you subjected" in page


def test_answered_questions_are_not_kept_in_the_worker_memory(app, client, db_session):
    """An attacker with the worker's memory finds no respondent's choice or text among
    the kept blocks: a page that shows answers (Back, a refused form) is rendered anew."""
    start(client, InvitationFactory().token)
    report(client, {"b5": "1"})
    client.submit("/svar/sida/free_text", {"f1": FREE_TEXT, "action": "back"})
    for page in ("free_text", "exposure_threats", "exposure_harassment", "role"):
        html = client.get(f"/svar/sida/{page}").text
        assert " checked" in html or FREE_TEXT in html
    page = "/svar/sida/exposure_harassment"
    refused = client.submit(page, {**fill(client.get(page).text), "b1": "77", "action": "next"})
    assert refused.status_code == 200 and "error-message" in refused.text
    kept = [block for _question, block in fragments._BLOCKS.values()]
    assert kept
    assert not any(" checked" in block or FREE_TEXT in block or "error-message" in block
                   for block in kept)


def test_a_contact_changed_while_the_round_is_open_shows_on_the_next_start_page(
    client, db_session
):
    invitation = InvitationFactory()
    round_ = invitation.round
    round_.contact_email = "sakerhet@linkoping.se"
    db_session.flush()
    assert "sakerhet@linkoping.se" in client.get(f"/s/{invitation.token}").text
    round_.contact_email = "trygghet@linkoping.se"
    round_.support_sv = "Ring kommunens trygghetsjour."
    db_session.flush()
    page = client.get(f"/s/{invitation.token}").text
    assert "trygghet@linkoping.se" in page and "sakerhet@" not in page
    assert "Ring kommunens trygghetsjour." in page
    assert not any(round_.link_salt in repr(key) for key in fragments._ROUND_TEXTS)


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html).group(1)


def test_two_respondents_on_the_same_blank_page_each_send_it_with_their_own_token(
    app, db_session
):
    first, second = app.test_client(), app.test_client()
    invitation = InvitationFactory()
    start(first, invitation.token)
    start(second, InvitationFactory(round=invitation.round).token)
    page = "/svar/sida/role"
    shown = [client.get(page).text for client in (first, second)]
    assert csrf_of(shown[0]) != csrf_of(shown[1])
    assert shown[0].replace(csrf_of(shown[0]), "") == shown[1].replace(csrf_of(shown[1]), "")
    for client, html in zip((second, first), reversed(shown), strict=True):
        sent = client.post(page, data={**fill(html), "csrf_token": csrf_of(html),
                                       "action": "next"})
        assert sent.status_code == 302 and sent.location == "/svar/sida/exposure_harassment"
    assert csrf_of(shown[1]) not in first.post(page, data={
        **fill(shown[0]), "csrf_token": csrf_of(shown[1]), "action": "next"}).text


def test_each_start_page_switches_language_to_its_own_link_and_keeps_no_link(
    app, db_session
):
    """The start page is kept once per round and language; its language switch leads to the
    link it was opened with, and neither the link nor a CSRF token is in what is kept."""
    first = InvitationFactory()
    second = InvitationFactory(round=first.round)
    pages = {invitation.token: app.test_client().get(f"/s/{invitation.token}").text
             for invitation in (first, second)}
    for token, html in pages.items():
        assert f'href="/s/{token}?lang=en"' in html
    english = app.test_client().get(f"/s/{first.token}?lang=en").text
    assert f'href="/s/{first.token}?lang=sv"' in english and "Start the survey" in english
    kept = [page for _owner, page in fragments._PAGES.values()]
    assert len(kept) >= 2
    for token, html in pages.items():
        assert not any(token in page or csrf_of(html) in page for page in kept)


def test_a_staff_member_who_opens_a_link_sees_their_menu_on_its_start_page(
    app, client, db_session
):
    from survey.auth import operations

    invitation = InvitationFactory()
    respondent_page = app.test_client().get(f"/s/{invitation.token}").text  # kept
    operations.add_user(db_session, "sakerhet@kommun.example.se", "admin", "ett långt lösenord")
    logged_in = client.submit("/login", {"email": "sakerhet@kommun.example.se",
                                         "password": "ett långt lösenord"})
    assert logged_in.status_code == 302
    menu = 'action="/logout"'
    assert menu in client.get(f"/s/{invitation.token}").text
    assert menu not in respondent_page
    assert not any(menu in page for _owner, page in fragments._PAGES.values())
