"""What outlives a submit or a close (docs/anonymity.md, *Residue*).

The opt-out page of a pooled invitation, the session that carried a respondent's link, the
sessions of a closed round, the physical order of PostgreSQL's heap after the close and the
sample values PostgreSQL's planner keeps in its catalog.
"""

from __future__ import annotations

from sqlalchemy import select, text

from survey import db, migrate, tokens
from survey.admin import operations as admin
from survey.auth import operations as auth
from survey.models import Invitation, ServerSession
from survey.respondent import operations
from tests.conftest import (
    InvitationFactory,
    RoundFactory,
    make_test_app,
    postgres_database,
    require,
)
from tests.survey.fielding import open_round_with_list
from tests.survey.test_anonymity import submit_directly
from tests.survey.test_respondent import answer_pages, start

OPT_OUT_ANSWERED = "du har redan svarat"


def test_opt_out_of_a_pooled_submission_meets_the_already_answered_page(app, client, db_session):
    """Whoever holds a link learns nothing from its opt-out page: a pooled submission gets
    the page a flushed one gets, and the button does nothing."""
    round_ = RoundFactory()
    pooled, flushed, waiting = (InvitationFactory(round=round_) for _ in range(3))
    submit_directly(app, db_session, flushed, {"a4": 1}, flush=False)
    with app.app_context():
        operations.flush_pool(db_session, round_.id, force=True)
    submit_directly(app, db_session, pooled, {"a4": 1}, flush=False)
    pages = {who: client.get(f"/s/{who.token}/avsta").text.replace(who.token, "T")
             for who in (pooled, flushed, waiting)}
    assert pages[pooled] == pages[flushed]
    assert OPT_OUT_ANSWERED in pages[pooled] and OPT_OUT_ANSWERED not in pages[waiting]
    client.submit(f"/s/{pooled.token}/avsta", {}, form_page=f"/s/{waiting.token}/avsta")
    db_session.refresh(pooled)
    assert pooled.state == "invited"


def test_a_submit_ends_what_the_session_that_held_the_link_can_do(app, client, db_session):
    """After Send, the browser's session only says "thanked"; a copy of the cookie that held
    the link (a second press, a replay) meets the thanks, never the questions, and no
    session row was ever written."""
    invitation = InvitationFactory()
    answer_pages(client, start(client, invitation.token))
    holding_the_link = client.get_cookie("paverkan").value
    review = "/svar/granska"
    csrf = client.csrf_token(review)
    sent = client.post(review, data={"action": "submit", "csrf_token": csrf})
    assert sent.location.endswith("/svar/tack")
    assert client.get_cookie("paverkan").value != holding_the_link
    assert "Tack" in client.get("/svar/tack").text
    replay = app.test_client()
    replay.set_cookie("paverkan", holding_the_link)
    assert "redan inskickat" in replay.get("/svar/sida/role").text
    again = replay.post(review, data={"action": "submit", "csrf_token": csrf})
    assert again.location.endswith("/svar/tack")
    assert db_session.scalars(select(ServerSession)).all() == []


def test_closing_a_round_ends_every_session_of_its_respondents(app, client, db_session):
    """A respondent mid-way and one thanked meet the closed page after the close (the link
    their cookie holds is erased; "thanked" names a closed round); a staff member's session
    stays."""
    round_ = RoundFactory(state="open")
    halfway, done = InvitationFactory(round=round_), InvitationFactory(round=round_)
    location, _ = answer_pages(client, start(client, halfway.token), stop_after=1)
    thanked = app.test_client()
    answer_pages(thanked, start(thanked, done.token))
    thanked.submit("/svar/granska", {"action": "submit"})
    auth.add_user(db_session, "admin@kommun.example.se", "admin", "ett långt lösenord")
    staff = app.test_client()
    staff.submit("/login", {"email": "admin@kommun.example.se",
                            "password": "ett långt lösenord"})
    with app.app_context():
        admin.close_round(db_session, round_)
    for browser, address in ((client, location), (thanked, "/svar/tack")):
        page = browser.get(address)
        assert page.status_code == 403 and "Enkäten är stängd" in page.text
    assert staff.get("/admin/").status_code == 200
    assert db_session.scalars(select(ServerSession.round_id)).all() == [None]


def test_after_the_close_postgres_keeps_no_arrival_order_and_no_sampled_person(
    request, tmp_path
):
    """On a PostgreSQL database where every submit, flush and close commits for real: the
    planner's statistics are gathered (as auto-analyze would) while the round is fielded.
    After the close no catalog holds an address, token hash or invitation id, and the heap
    holds the responses in the order of their random ids, not in flush batches."""
    require(request.config, "postgres")
    with postgres_database("paverkan_anon_residue") as url:
        app = make_test_app(url, tmp_path / "instance", SCRUB_WAIT_SECONDS=0)
        engine = db.database(app).engine
        migrate.upgrade(engine)
        rows = [f"p{i}@example.se;{('Linköping', 'Norrköping')[i % 2]};medarbetare;"
                for i in range(60)]
        with app.app_context():
            session = db.session()
            round_ = open_round_with_list(session, rows, ["Linköping", "Norrköping"],
                                          ["förtroendevald", "medarbetare"])
            people = session.scalars(select(Invitation)).all()
            personal = {value for i in people for value in (i.id, i.email, i.token_hash)}
            for number, invitation in enumerate(people[:40]):
                token = tokens.token_for(invitation)
                operations.save_draft(session, token, round_, {"a4": 1, "b1": number % 4},
                                      "review")
                assert operations.submit(session, token)
                if number % 5 == 4:
                    operations.flush_pool(session, round_.id)
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as analyst:
                analyst.execute(text("ANALYZE"))
            admin.close_round(session, round_)
        with engine.connect() as attacker:
            sampled = attacker.execute(text(
                "SELECT coalesce(stavalues1::text, '') || coalesce(stavalues2::text, '') || "
                "coalesce(stavalues3::text, '') || coalesce(stavalues4::text, '') || "
                "coalesce(stavalues5::text, '') FROM pg_statistic")).scalars().all()
            catalog = "\n".join(sampled)
            assert not [value for value in personal if value in catalog]
            physical = attacker.execute(text("SELECT id FROM responses ORDER BY ctid")).scalars()
            physical = list(physical)
            assert len(physical) == 40 and physical == sorted(physical)
        engine.dispose()
