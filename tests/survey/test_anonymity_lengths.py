"""The attacker measures lengths (docs/anonymity.md, *Sealed lengths*).

A sealed value hides what it holds but not how much. A pool entry as long as its answers
pairs with the response that the flush writes with the same answers in clear; a draft shorter
than the pool entry that replaces it tells the entry's stratum. So every sealed value a visit
writes has one length per round, whatever the respondent answered, and one that cannot fit
is refused.
"""

from __future__ import annotations

import pytest
from sqlalchemy import select, text

from questionnaires.model import VariableKind
from survey.crypto import TooLarge, seal_padded
from survey.instrument import questionnaire_of
from survey.models import Invitation, Response
from survey.respondent import operations
from tests.conftest import InvitationFactory, RoundFactory
from tests.survey.test_anonymity import submit_directly
from tests.survey.test_respondent import answer_pages, start


def lengths(db_session, table: str, column: str) -> set[int]:
    """The stored lengths of a sealed column, as a backup shows them."""
    db_session.expire_all()
    rows = db_session.execute(text(f"SELECT {column} FROM {table}")).scalars()
    return {len(bytes(value)) for value in rows}


def longest_answers(round_) -> dict:
    """Every variable of the instrument answered with its longest value: free text at its
    maximum length in characters that JSON spends the most bytes on."""
    answers = {}
    for page in questionnaire_of(round_).pages:
        for question in page.questions:
            for variable in question.variables:
                if variable.kind is VariableKind.TEXT:
                    answers[variable.name] = "\x01" * variable.max_length
                else:
                    answers[variable.name] = -99999999
    return answers


def test_drafts_pool_entries_and_sessions_each_have_one_length_whatever_they_hold(
    app, client, db_session
):
    """Respondents in different strata answer differently — nothing, a little, everything
    with long free text, in Swedish and in English — and a backup after every step finds one
    length for all drafts and pool entries of the round and no session row; the browser's
    sealed session cookie has one length throughout, link, language or thanks."""
    round_ = RoundFactory()
    long_unit = "Avdelningen för " + "å" * 150
    people = [
        InvitationFactory(round=round_, municipality="Linköping", group="medarbetare"),
        InvitationFactory(round=round_, municipality="Norrköping", group="förtroendevald",
                          unit=long_unit),
        InvitationFactory(round=round_, municipality="Linköping", group="chef"),
    ]
    sealed: set[int] = set()
    sessions: set[int] = set()
    cookies: set[int] = set()

    def backup():
        sealed.update(lengths(db_session, "drafts", "content"))
        sealed.update(lengths(db_session, "submission_pool", "sealed_content"))
        sessions.update(lengths(db_session, "sessions", "content"))
        if client.get_cookie("paverkan"):
            cookies.add(len(client.get_cookie("paverkan").value))

    with app.app_context():
        submit_directly(app, db_session, people[0], {})
        backup()
        submit_directly(app, db_session, people[1], longest_answers(round_))
        backup()
    location = start(client, people[2].token, lang="en")
    backup()
    location, _ = answer_pages(client, location, stop_after=2)
    backup()
    answer_pages(client, location)
    backup()
    client.submit("/svar/granska", {"action": "submit"})
    backup()
    assert len(sealed) == 1, f"sealed values of one round differ in length: {sealed}"
    assert not sessions, "a respondent's session left a row"
    assert len(cookies) == 1, f"session cookies differ in length: {cookies}"


def test_what_cannot_fit_the_sealed_size_is_refused():
    with pytest.raises(TooLarge):
        seal_padded(b"k" * 32, b"x" * 101, 100)


def test_the_longest_possible_answers_fit(app, db_session):
    """The sealed size is an upper bound of the instrument, not a guess: every question
    answered at its longest, from a unit whose name fills its column, is pooled and
    flushed intact."""
    round_ = RoundFactory()
    unit = "ö" * Invitation.unit.type.length
    invitation = InvitationFactory(round=round_, municipality="M" * 100, group="G" * 100,
                                   unit=unit)
    answers = longest_answers(round_)
    with app.app_context():
        operations.save_draft(db_session, invitation.token, round_, answers, "review")
        assert operations.load_draft(db_session, invitation.token).answers == answers
        assert operations.submit(db_session, invitation.token)
        assert operations.flush_pool(db_session, round_.id, force=True) == 1
    stored = db_session.scalars(select(Response)).one()
    assert stored.unit == unit
    # The submit keeps the answers to questions asked (the rest are pruned), unchanged.
    assert stored.answers and stored.answers.items() <= answers.items()
