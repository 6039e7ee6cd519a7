"""An admin corrects or removes one recipient of a running round from the page, and the page
tells them nothing about whether that person has answered."""

from __future__ import annotations

import re

from sqlalchemy import select

from survey.models import Invitation


def invitation(db_session, email: str) -> Invitation | None:
    db_session.expire_all()
    return db_session.scalar(select(Invitation).where(Invitation.email == email))


def page_url(round_) -> str:
    return f"/admin/rounds/{round_.id}/recipient"


def find(client, round_, email: str) -> str:
    return client.submit(page_url(round_), {"email": email}).text


def change(client, round_, current: str, button: str = "save", **fields):
    data = {"current": current, "email": current, "municipality": "Linköping",
            "group": "medarbetare", "unit": "", button: "", **fields}
    return client.submit(page_url(round_), data)


def test_a_mistyped_address_and_a_person_who_left_are_fixed_before_the_invitation(
    admin_client, db_session, open_round, with_recipients
):
    with_recipients(12)
    page = find(admin_client, open_round, "PERSON0@example.se")
    assert 'value="person0@example.se"' in page and "Enhet 0" in page
    response = change(admin_client, open_round, "person0@example.se",
                      email="person.noll@example.se", unit="Enhet 0")
    assert response.status_code == 302
    corrected = invitation(db_session, "person.noll@example.se")
    assert (corrected.municipality, corrected.group, corrected.unit) == (
        "Linköping", "medarbetare", "Enhet 0")

    response = change(admin_client, open_round, "person2@example.se", button="remove")
    assert response.status_code == 302
    assert invitation(db_session, "person2@example.se") is None
    assert "tagits bort" in admin_client.get(response.location).text


def test_a_move_that_would_leave_a_tiny_unit_is_refused_with_the_unit_named(
    admin_client, db_session, open_round, with_recipients
):
    with_recipients(12)
    response = change(admin_client, open_round, "person0@example.se", unit="Ny enhet")
    assert response.status_code == 200
    assert "Ny enhet (1)" in response.text
    assert invitation(db_session, "person0@example.se").unit == "Enhet 0"


def test_after_the_invitation_an_answerer_and_a_non_answerer_look_the_same(
    admin_client, db_session, open_round, with_recipients
):
    """The attacker is the admin: the page, the refusal and the dashboard's counts must not
    differ between someone whose answer was flushed and someone who never answered."""
    with_recipients(12)
    answered, silent = invitation(db_session, "person0@example.se"), invitation(
        db_session, "person6@example.se")
    assert (answered.municipality, answered.group) == (silent.municipality, silent.group)
    for person in (answered, silent):
        person.mails_sent = 1
    answered.state = "responded"
    db_session.flush()
    dashboard = _without_tokens(admin_client.get(f"/admin/rounds/{open_round.id}").text)

    def seen(person: Invitation) -> tuple[str, ...]:
        name = person.email
        pages = (find(admin_client, open_round, name),
                 change(admin_client, open_round, name, button="remove").text,
                 change(admin_client, open_round, name, unit="Enhet 1").text)
        return tuple(_without_tokens(p.replace(name, "X")) for p in pages)

    assert seen(answered) == seen(silent)
    assert "redan gått ett utskick" in seen(silent)[1]
    assert invitation(db_session, "person0@example.se") is not None
    assert _without_tokens(admin_client.get(f"/admin/rounds/{open_round.id}").text) == dashboard

    response = change(admin_client, open_round, "person6@example.se",
                      email="person.sex@example.se", unit="Enhet 0")
    assert response.status_code == 302
    assert invitation(db_session, "person.sex@example.se").state == "invited"


def _without_tokens(page: str) -> str:
    """CSRF tokens carry their time; everything else must match."""
    return re.sub(r'value="[^"]{40,}"', "", page)


def test_the_cli_corrects_and_removes_through_the_same_rule(
    runner, db_session, open_round, with_recipients
):
    with_recipients(12)
    invitation(db_session, "person6@example.se").mails_sent = 1
    db_session.flush()
    result = runner.invoke(args=["recipients", "correct", "Person6@example.se",
                                 "--round", str(open_round.id), "--email", "sex@example.se"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["recipients", "remove", "sex@example.se",
                                 "--round", str(open_round.id)])
    assert result.exit_code == 1 and "already gone" in result.output
    result = runner.invoke(args=["recipients", "correct", "person2@example.se",
                                 "--round", str(open_round.id), "--unit", "Enhet\x07 0"])
    assert result.exit_code == 1 and "[U+0007]" in result.output
    result = runner.invoke(args=["recipients", "remove", "person2@example.se",
                                 "--round", str(open_round.id)])
    assert result.exit_code == 0, result.output
    assert invitation(db_session, "person2@example.se") is None
    assert invitation(db_session, "sex@example.se") is not None
