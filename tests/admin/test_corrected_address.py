"""The invitation went to a wrong address, and the admin corrects it (docs/anonymity.md,
*Correcting or removing one recipient*).

The attacker here is first the stranger who got the mail: once the address is corrected,
their link and their session lead nowhere and show none of the saved answers, and the next
mail brings the rightful person a new link that works and shows nothing of the stranger's.
Then the admin, who must learn from the correction nothing about whether the person had
started or answered. Mail goes over real SMTP.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
from contextlib import nullcontext

import pytest
import sqlalchemy as sa
from sqlalchemy import func, select

from survey import db, migrate, tokens
from survey.admin import operations
from survey.crypto import keyed_digest
from survey.models import Draft, Invitation, PooledSubmission, Response, Round
from survey.respondent import operations as respondent
from tests.admin.test_one_recipient import invitation, page_url
from tests.conftest import DEFAULT_INSTRUMENT, make_test_app, postgres_database, require
from tests.survey.test_respondent import answer_pages, start
from tests.survey.walk import fill

UNKNOWN_LINK = "Länken fungerar inte"
ALREADY_SENT = "ditt svar är redan inskickat"
STARTED_BEFORE = "Du har påbörjat enkäten tidigare"
NEW_LINK_NOTICE = "Länken som skickades till den gamla adressen fungerar inte längre"


def _send(app, db_session, round_, kind="invitation"):
    with app.app_context():
        return operations.send_mailing(
            db_session, operations.start_mailing(db_session, round_, kind))


def _link_mailed_to(recorder, address: str) -> str:
    """The token in the last mail the SMTP server accepted for `address`."""
    mail = [m for m in recorder.messages if m["To"] == address][-1]
    return re.search(r"/s/([A-Za-z0-9_-]{43})\b", mail.get_body(("plain",)).get_content())[1]


def _correct(admin_client, db_session, round_, current: str, new: str) -> tuple[str, str]:
    """The admin finds the person on the page and saves a new address, keeping the rest;
    returns the page that shows the person and the page after saving."""
    found = admin_client.submit(page_url(round_), {"email": current}).text
    person = invitation(db_session, current)
    response = admin_client.submit(page_url(round_), {
        "current": current, "email": new, "municipality": person.municipality,
        "group": person.group, "unit": person.unit or "", "save": ""})
    assert response.status_code == 302, response.text
    return found, admin_client.get(response.location).text


def test_the_stranger_loses_the_link_and_the_person_gets_a_new_one_without_their_answers(
    app, admin_client, db_session, open_round, with_recipients, smtp_server
):
    with_recipients(6)
    recorder, url = smtp_server("plain")
    app.config["MAIL_URL"] = url
    _send(app, db_session, open_round)
    old = _link_mailed_to(recorder, "person0@example.se")

    stranger = app.test_client()
    location, _ = answer_pages(stranger, start(stranger, old), stop_after=1)
    first = f"/svar/sida/{DEFAULT_INSTRUMENT.pages[0].id}"
    assert "checked" in stranger.get(first).text
    assert STARTED_BEFORE in stranger.get(f"/s/{old}").text
    csrf = stranger.csrf_token(location)

    _, outcome = _correct(admin_client, db_session, open_round, "person0@example.se",
                          "anna@example.se")
    assert NEW_LINK_NOTICE in outcome

    answering = {**fill(stranger.get(location).text), "action": "next", "csrf_token": csrf}
    for page in (stranger.get("/svar"), stranger.get(first), stranger.get(f"/s/{old}"),
                 stranger.post(location, data=answering),
                 stranger.post(f"/s/{old}", data={"csrf_token": csrf})):
        assert page.status_code == 404 and UNKNOWN_LINK in page.text, page.text
        assert "checked" not in page.text
    opt_out = stranger.get(f"/s/{old}/avsta")
    assert opt_out.status_code == 404 and "Länken är inte giltig" in opt_out.text

    recorder.messages.clear()
    assert _send(app, db_session, open_round, "reminder").sent == 6
    new = _link_mailed_to(recorder, "anna@example.se")
    assert new != old and "person0@example.se" not in recorder.recipients()

    anna = app.test_client()
    assert STARTED_BEFORE not in anna.get(f"/s/{new}").text
    location = start(anna, new)
    assert location == first and "checked" not in anna.get(first).text, "no stranger's answers"
    location, _ = answer_pages(anna, location)
    assert anna.submit(location, {"action": "submit"}).location == "/svar/tack"
    assert db_session.scalar(select(func.count()).select_from(PooledSubmission)) == 1


def test_an_answer_sent_through_the_old_link_still_counts_once(
    app, admin_client, db_session, open_round, with_recipients, smtp_server
):
    """The stranger sent answers before the correction. The invitation stays answered: the new
    link says so and takes no second answer, and the flush marks it responded once."""
    with_recipients(6)
    recorder, url = smtp_server("plain")
    app.config["MAIL_URL"] = url
    _send(app, db_session, open_round)
    stranger = app.test_client()
    old = _link_mailed_to(recorder, "person0@example.se")
    location, _ = answer_pages(stranger, start(stranger, old))
    assert stranger.submit(location, {"action": "submit"}).location == "/svar/tack"

    _correct(admin_client, db_session, open_round, "person0@example.se", "anna@example.se")
    recorder.messages.clear()
    _send(app, db_session, open_round, "reminder")
    new = _link_mailed_to(recorder, "anna@example.se")

    anna = app.test_client()
    page = anna.get(f"/s/{new}")
    assert page.status_code == 200 and ALREADY_SENT in page.text and "<form" not in page.text
    with app.app_context():
        assert not respondent.submit(db_session, new)
        assert respondent.flush_pool(db_session, open_round.id, force=True) == 1
    assert db_session.scalar(select(func.count()).select_from(Response)) == 1
    assert invitation(db_session, "anna@example.se").state == "responded"


def test_the_same_address_or_a_new_unit_keeps_the_link(
    app, admin_client, runner, db_session, open_round, with_recipients
):
    """Only another address retires the link: not the same address written in other case,
    nor a move to another unit before the first mail."""
    with_recipients(12)
    person = invitation(db_session, "person2@example.se")
    with app.app_context():
        link = tokens.token_for(person)
    response = admin_client.submit(page_url(open_round), {
        "current": "person2@example.se", "email": "Person2@Example.se", "save": "",
        "municipality": "Linköping", "group": "medarbetare", "unit": "Enhet 0"})
    assert NEW_LINK_NOTICE not in admin_client.get(response.location).text
    assert invitation(db_session, "Person2@Example.se").group == "medarbetare"
    assert admin_client.get(f"/s/{link}").status_code == 200

    result = runner.invoke(args=["recipients", "correct", "Person2@Example.se",
                                 "--round", str(open_round.id), "--email", "per@example.se"])
    assert result.exit_code == 0 and "no longer works" in result.output, result.output
    assert admin_client.get(f"/s/{link}").status_code == 404


def test_the_correction_looks_the_same_whether_the_person_answered_started_or_not(
    app, admin_client, db_session, open_round, with_recipients
):
    """The admin corrects four people of one stratum after the invitation: one whose answer
    was flushed, one whose answer waits in the pool, one with a saved draft and one who did
    nothing. The pages are the same, and so is what a backup taken before and after each
    correction shows: only the person's address and link change, drafts and pool stay."""
    with_recipients(12)
    people = {state: invitation(db_session, f"person{i}@example.se")
              for state, i in (("flushed", 2), ("pooled", 4), ("started", 8), ("silent", 10))}
    with app.app_context():
        for person in people.values():
            person.mails_sent = 1
        people["flushed"].state = "responded"
        db_session.flush()
        pooled, started = (tokens.token_for(people[s]) for s in ("pooled", "started"))
        respondent.save_draft(db_session, pooled, open_round, {"a4": 1}, "review")
        assert respondent.submit(db_session, pooled)
        respondent.save_draft(db_session, started, open_round, {"a4": 1}, None)

    def backup() -> dict:
        db_session.expire_all()
        return {model.__tablename__: sorted(tuple(row) for row in db_session.execute(
            select(*model.__table__.columns))) for model in (Invitation, Draft, PooledSubmission)}

    seen, changed = {}, {}
    for state, person in people.items():
        email = person.email
        before = backup()
        pages = _correct(admin_client, db_session, open_round, email, f"ny.{email}")
        after = backup()
        seen[state] = tuple(re.sub(r'value="[^"]{40,}"', "", page)
                            .replace(f"ny.{email}", "Y").replace(email, "X") for page in pages)
        assert (after["drafts"], after["submission_pool"]) == (
            before["drafts"], before["submission_pool"])
        gone = set(before["invitations"]) - set(after["invitations"])
        came = set(after["invitations"]) - set(before["invitations"])
        columns = Invitation.__table__.columns.keys()
        [old_row], [new_row] = gone, came
        changed[state] = {c for c, a, b in zip(columns, old_row, new_row, strict=True) if a != b}
    assert len(set(seen.values())) == 1
    assert set(map(frozenset, changed.values())) == {
        frozenset({"email", "token_hash", "link_generation"})}


@pytest.mark.parametrize("database", ["sqlite", pytest.param("postgresql",
                                                              marks=pytest.mark.postgres)])
def test_a_link_mailed_before_the_upgrade_still_works_after_it(database, request, tmp_path):
    if database == "postgresql":
        require(request.config, "postgres")
        context = postgres_database("paverkan_relink")
    else:
        context = nullcontext(f"sqlite:///{tmp_path / 'before.sqlite3'}")
    with context as url:
        app = make_test_app(url, tmp_path / "instance")
        engine = db.database(app).engine
        migrate.upgrade(engine, "0011")
        with app.app_context():
            session = db.session()
            round_ = Round(
                title="Otillåten påverkan 2026", questionnaire_id=DEFAULT_INSTRUMENT.id,
                definition=DEFAULT_INSTRUMENT.canonical_json,
                fingerprint=DEFAULT_INSTRUMENT.fingerprint, reference_year=2025,
                opens_on=dt.date.today(), closes_on=dt.date.today() + dt.timedelta(days=9),
                state="open", municipalities=["Linköping"], groups=["medarbetare"])
            session.add(round_)
            session.flush()
            invitation_id = "0" * 32
            # The token as the version before link generations derived it and mailed it.
            mailed = base64.urlsafe_b64encode(
                keyed_digest(tokens.link_key(round_), invitation_id)).rstrip(b"=").decode()
            table = sa.table("invitations", *map(sa.column, (
                "id", "round_id", "email", "municipality", "group", "token_hash", "state",
                "mails_sent")))
            session.execute(sa.insert(table).values(
                id=invitation_id, round_id=round_.id, email="anna@example.se",
                municipality="Linköping", group="medarbetare",
                token_hash=tokens.token_hash(mailed), state="invited", mails_sent=1))
            session.commit()
        migrate.upgrade(engine)
        page = app.test_client().get(f"/s/{mailed}")
        engine.dispose()
    assert page.status_code == 200 and "Börja enkäten" in page.text
