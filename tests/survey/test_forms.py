"""Question types the default instrument does not use, on a small questionnaire of its own."""

from __future__ import annotations

import pytest

import questionnaires
from tests.conftest import InvitationFactory, RoundFactory
from tests.survey.test_respondent import start

SMALL = """
id: small
title: {sv: Liten enkät, en: Small survey}
pages:
  - id: first
    title: {sv: Första sidan, en: First page}
    questions:
      - id: years
        type: number
        min: 0
        max: 60
        text: {sv: "Hur många år?", en: "How many years?"}
      - id: where
        type: multiple
        text: {sv: "Var?", en: "Where?"}
        options:
          - {code: 1, sv: Hemma, en: At home}
          - {code: 2, sv: På jobbet, en: At work}
          - {code: 99, sv: Vill inte svara, en: Prefer not to answer, role: refused}
"""


@pytest.fixture
def small_round(db_session):
    questionnaire = questionnaires.loads(SMALL)
    return RoundFactory(
        questionnaire_id=questionnaire.id,
        definition=questionnaire.canonical_json,
        fingerprint=questionnaire.fingerprint,
    )


@pytest.mark.parametrize(
    ("years", "message"),
    [
        ("61", "Skriv ett tal från 0 till 60."),
        ("tre", "Skriv ett heltal, med enbart siffror."),
        ("-5", "Skriv ett tal från 0 till 60."),
        ("1" * 30, "Skriv ett heltal, med enbart siffror."),
    ],
)
def test_numbers_outside_the_range_are_explained(client, small_round, years, message):
    invitation = InvitationFactory(round=small_round)
    location = start(client, invitation.token)
    response = client.submit(location, {"years": years, "action": "next"})
    assert response.status_code == 200 and message in response.text
    assert f'value="{years}"' in response.text, "what was typed stays in the field"


def test_refusing_cannot_be_combined_with_answers(client, small_round):
    invitation = InvitationFactory(round=small_round)
    location = start(client, invitation.token)
    response = client.submit(location, {"where": ["1", "99"], "action": "next"})
    assert "”Vill inte svara” kan inte kombineras med andra svar." in response.text


def test_a_valid_page_is_saved_and_leads_to_the_review(client, small_round):
    invitation = InvitationFactory(round=small_round)
    location = start(client, invitation.token)
    response = client.submit(location, {"years": " 12 ", "where": ["2"], "action": "next"})
    assert response.location == "/svar/granska"
    review = client.get("/svar/granska").text
    assert "12" in review and "På jobbet" in review
