"""A respondent who reported only threats is asked which incident was most serious among
the threats alone; a tampered form or a later change cannot store a contradiction."""

from __future__ import annotations

from sqlalchemy import select

from survey.instrument import questionnaire_of
from survey.models import Draft
from survey.respondent.operations import load_draft
from tests.conftest import InvitationFactory
from tests.survey.test_respondent import flushed_answers, start
from tests.survey.walk import Controls, fill

NO_EXPOSURE = {f"b{i}": "0" for i in range(1, 12)}


def draft(app, db_session, invitation) -> dict:
    with app.app_context():
        return load_draft(db_session, invitation.token).answers


def report(client, reported: dict[str, str]) -> None:
    """Answer the role and exposure pages: "no" except the items in ``reported``."""
    for page in ("role", "exposure_harassment", "exposure_threats", "exposure_violence"):
        html = client.get(f"/svar/sida/{page}").text
        data = {name: NO_EXPOSURE.get(name, value) for name, value in fill(html).items()}
        data.update({k: v for k, v in reported.items() if k in data})
        response = client.submit(f"/svar/sida/{page}", {**data, "action": "next"})
        assert response.status_code == 302, response.text


def test_the_most_serious_incident_lists_only_the_kinds_reported(client, db_session):
    invitation = InvitationFactory()
    start(client, invitation.token)
    report(client, {"b5": "1", "b6": "2"})
    html = client.get("/svar/sida/incident_what").text
    assert Controls(html).radios["c1"] == ["5", "6", "99"]
    assert "Dödshot" in html and "Trakasserier" not in html


def test_a_tampered_kind_that_was_not_reported_is_refused_and_not_stored(
    app, client, db_session
):
    invitation = InvitationFactory()
    start(client, invitation.token)
    report(client, {"b6": "1"})
    response = client.submit("/svar/sida/incident_what", {"c1": "1", "action": "next"})
    assert response.status_code == 200
    assert "Välj ett av de alternativ som visas." in response.text
    assert "c1" not in draft(app, db_session, invitation)


def test_taking_back_the_reported_kind_clears_the_choice_before_it_is_sent(
    app, client, db_session
):
    """Death threats chosen as the most serious incident, then "death threats: no" from the
    review page: the choice goes with it, while the other answers stay."""
    invitation = InvitationFactory()
    start(client, invitation.token)
    report(client, {"b5": "1", "b6": "1"})
    client.submit("/svar/sida/incident_what", {"c1": "6", "c2": "1", "action": "next"})
    assert draft(app, db_session, invitation)["c1"] == 6
    client.submit("/svar/sida/exposure_threats?granska=1",
                  {"b5": "1", "b6": "0", "action": "next"})
    answers = draft(app, db_session, invitation)
    assert "c1" not in answers and answers["c2"] == 1
    client.get("/svar/granska")
    client.submit("/svar/granska", {"action": "submit"})
    stored = flushed_answers(app, db_session, invitation)
    assert "c1" not in stored and stored["b5"] == 1
    questionnaire = questionnaire_of(invitation.round)
    assert questionnaire.variable("c1").option(6).show_if is not None
    assert db_session.scalars(select(Draft)).first() is None
