"""A question page's blank questions are rendered once per process and shown to the next
respondent (survey/respondent/fragments.py): each respondent still sees their own options in
their own language, and no answer stays behind in the kept blocks."""

from __future__ import annotations

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
