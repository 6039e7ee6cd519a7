"""The pages name who runs the round and whom to ask, and give one time from the instrument."""

from __future__ import annotations

import questionnaires
from questionnaires.timing import estimate
from survey.instrument import minutes
from tests.conftest import InvitationFactory

CONTACT = {"organisation": "Norrköpings kommun", "contact_name": "Per Ek",
           "contact_email": "per.ek@norrkoping.se", "contact_phone": "011-15 00 00"}


def named(invitation, db_session):
    for name, value in CONTACT.items():
        setattr(invitation.round, name, value)
    db_session.flush()


def test_the_time_comes_from_the_instrument_and_grows_with_what_is_shown():
    found = estimate(questionnaires.load(questionnaires.DEFAULT_DEFINITION))
    assert 1 <= found.shortest < found.longest <= 20
    minimal = estimate(questionnaires.load("tests/questionnaires/definitions/minimal.yaml"))
    assert minimal.longest < found.longest


def test_the_start_page_names_the_organisation_contact_and_time(client, db_session):
    invitation = InvitationFactory()
    named(invitation, db_session)
    page = client.get(f"/s/{invitation.token}").text
    assert "genomförs av Norrköpings kommun" in page
    assert 'href="mailto:per.ek@norrkoping.se"' in page and 'href="tel:011150000"' in page
    assert f"omkring {minutes(invitation.round)} minuter" in page


def test_a_link_that_does_not_work_names_the_contacts_of_the_open_rounds(client, db_session):
    invitation = InvitationFactory()
    named(invitation, db_session)
    page = client.get("/s/" + "x" * 43)
    assert page.status_code == 404
    assert "Per Ek" in page.text and "mailto:per.ek@norrkoping.se" in page.text


def test_the_accessibility_statement_has_its_date_and_a_contact_route(client, db_session):
    invitation = InvitationFactory()
    named(invitation, db_session)
    page = client.get("/tillganglighet").text
    assert "granskades senast 2026-11-30" in page
    assert "mailto:per.ek@norrkoping.se" in page
