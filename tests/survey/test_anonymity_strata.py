"""The attacker pairs by stratum (docs/anonymity.md, *How it is built*: pooling per stratum).

A response carries municipality, group and unit. If one flush (or the close) turns a single
Norrköping elected official's submission into a response and flips a single Norrköping
elected official's invitation, two backups pair them, pool or no pool. The attacker here
diffs a backup taken before and after every submit, flush and close, and for each new
response counts the invitations of its stratum that could have written it.
"""

from __future__ import annotations

from collections import Counter, defaultdict

import pytest
from sqlalchemy import func, select, text

from survey import db, migrate, tokens
from survey.admin import operations as admin
from survey.auth import operations as auth
from survey.models import Invitation, PooledSubmission
from survey.respondent import operations
from tests.conftest import (
    InvitationFactory,
    RoundFactory,
    make_test_app,
    postgres_database,
    require,
)
from tests.survey.fielding import open_round_with_list
from tests.survey.test_anonymity import POOL, submit_directly


def backup(db_session) -> dict[str, dict]:
    """The two tables that name people and answers, as a full dump would hold them."""
    db_session.expire_all()
    connection = db_session.connection()
    invitations = {
        row["id"]: dict(row)
        for row in connection.execute(text("SELECT * FROM invitations")).mappings()
    }
    responses = {
        row["id"]: dict(row)
        for row in connection.execute(text("SELECT * FROM responses")).mappings()
    }
    return {"invitations": invitations, "responses": responses}


def stratum(row: dict) -> tuple:
    return row["municipality"], row["group"], row["unit"]


def fewest_candidates(before: dict, after: dict) -> dict[tuple, int]:
    """Per stratum with new responses between two backups: how many invitations of that
    stratum could have written them. A candidate had not answered before (its row did not
    say "responded") and, after, says "responded" or is gone."""
    new = Counter(stratum(r) for i, r in after["responses"].items()
                  if i not in before["responses"])
    candidates: dict[tuple, int] = defaultdict(int)
    for id_, row in before["invitations"].items():
        if row["state"] == "responded":
            continue
        later = after["invitations"].get(id_)
        if later is None or later["state"] == "responded":
            candidates[stratum(row)] += 1
    return {key: candidates[key] for key in new}


def test_no_backup_diff_pairs_a_response_with_fewer_than_pool_size_people(app, db_session):
    """One Norrköping elected official answers among Linköping staff (pool size 3). With one
    pool for the whole round, the batch that holds that answer flips exactly one Norrköping
    invitation and adds exactly one Norrköping response. Pooled per stratum, and with the
    close keeping counts instead of invitations, every new response has at least K
    candidates in every diff: the flushes, and the close that empties the pools."""
    round_ = RoundFactory()
    elected = [InvitationFactory(round=round_, municipality="Norrköping",
                                 group="förtroendevald") for _ in range(POOL + 1)]
    staff = [InvitationFactory(round=round_, municipality="Linköping", group="medarbetare")
             for _ in range(2 * POOL + 1)]
    order = [staff[0], elected[0], staff[1], staff[2], staff[3], staff[4]]
    backups = [backup(db_session)]
    for number, invitation in enumerate(order):
        submit_directly(app, db_session, invitation, {"a4": 1, "b1": number % 4})
        backups.append(backup(db_session))
    with app.app_context():
        admin.close_round(db_session, round_)
    backups.append(backup(db_session))

    diffs = [fewest_candidates(b, a) for b, a in zip(backups, backups[1:], strict=False)]
    paired = [(n, key, count) for n, diff in enumerate(diffs) for key, count in diff.items()
              if count < POOL]
    assert paired == [], "a diff narrows a response to fewer than K invitations"
    answered = Counter(stratum(r) for r in backups[-1]["responses"].values())
    assert answered == {("Norrköping", "förtroendevald", None): 1,
                        ("Linköping", "medarbetare", None): 5}, "every answer arrived"


def test_a_stratum_flushes_once_it_holds_pool_size_submissions(app, client, db_session):
    """Submissions of a stratum wait until K of that stratum have arrived, whatever the
    others do; the dashboard shows them as answered from then on, and says why its counts
    lag."""
    round_ = RoundFactory()
    elected = [InvitationFactory(round=round_, municipality="Norrköping",
                                 group="förtroendevald") for _ in range(POOL)]
    staff = [InvitationFactory(round=round_) for _ in range(POOL)]
    for invitation in [elected[0], *staff, elected[1]]:
        submit_directly(app, db_session, invitation, {"a4": 1})
    assert db_session.scalar(select(func.count()).select_from(PooledSubmission)) == 2
    rates = {r.group: r.responded for r in admin.response_rates(db_session, round_)}
    assert rates == {"förtroendevald": 0, "medarbetare": POOL}
    auth.add_user(db_session, "admin@kommun.example.se", "admin", "ett långt lösenord")
    assert client.submit("/login", {"email": "admin@kommun.example.se",
                                    "password": "ett långt lösenord"}).status_code == 302
    dashboard = client.get(f"/admin/rounds/{round_.id}").text
    assert f"Svaren räknas först när {POOL} har kommit in från samma kommun" in dashboard
    submit_directly(app, db_session, elected[2], {"a4": 1})
    rates = {r.group: r.responded for r in admin.response_rates(db_session, round_)}
    assert rates == {"förtroendevald": POOL, "medarbetare": POOL}


def test_closing_keeps_counts_per_stratum_and_no_invitation(app, db_session):
    """After the close the dashboard still shows invited, answered, opted out and bounced
    per stratum and unit, but the database holds no row per person to diff against."""
    round_ = RoundFactory()
    people = [InvitationFactory(round=round_, municipality="Norrköping", group="medarbetare",
                                unit=("Kultur", "Skola")[i % 2]) for i in range(10)]
    for invitation in people[:4]:
        submit_directly(app, db_session, invitation, {"a4": 1})
    people[5].state = "declined"
    people[6].state = "bounced"
    db_session.commit()
    with app.app_context():
        before = admin.response_rates(db_session, round_, by_unit=True)
        admin.close_round(db_session, round_)
    db_session.expire_all()
    left = db_session.execute(text("SELECT count(*) FROM invitations WHERE round_id = :r"),
                              {"r": round_.id}).scalar()
    assert left == 0
    after = admin.response_rates(db_session, round_, by_unit=True)
    assert [(r.unit, r.invited, r.responded, r.declined, r.bounced) for r in after] == [
        ("Kultur", 5, 2, 0, 1), ("Skola", 5, 2, 1, 0)]
    assert [(r.unit, r.invited) for r in before] == [(r.unit, r.invited) for r in after]
    whole = admin.response_rates(db_session, round_)
    assert [(r.invited, r.responded) for r in whole] == [(10, 4)]


@pytest.mark.postgres
def test_committed_flushes_give_postgres_xmin_no_pair_smaller_than_the_pool(request, tmp_path):
    """Real transactions, not savepoints of one rolled-back test transaction: every submit
    and every flush commits on a database of its own. The attacker reads ``xmin`` (the
    transaction that wrote each row) and, for every response, counts the invitations of its
    stratum that the same transaction marked responded: never fewer than K. After the close
    the responses share one xmin and no invitation is left to compare."""
    require(request.config, "postgres")
    with postgres_database("paverkan_xmin") as url:
        # Other test sessions on the server may hold old snapshots; the close's scrub is
        # tested elsewhere and need not wait for them here.
        app = make_test_app(url, tmp_path / "instance", SCRUB_WAIT_SECONDS=0)
        engine = db.database(app).engine
        migrate.upgrade(engine)
        rows = [f"n{i}@example.se;Norrköping;förtroendevald;" for i in range(POOL + 1)]
        rows += [f"l{i}@example.se;Linköping;medarbetare;" for i in range(3 * POOL)]
        with app.app_context():
            session = db.session()
            round_ = open_round_with_list(session, rows, ["Linköping", "Norrköping"],
                                          ["förtroendevald", "medarbetare"])
            people = {i.email.split("@")[0]: i for i in session.scalars(select(Invitation))}
            order = ["l0", "n0", "l1", "l2", "l3", "n1", "l4", "l5", "l6", "l7"]
            for name in order:
                token = tokens.token_for(people[name])
                operations.save_draft(session, token, round_, {"a4": 1}, "review")
                assert operations.submit(session, token)
                operations.flush_pool(session, round_.id)  # the timer fires between submits

            with engine.connect() as attacker:
                responses = attacker.execute(text(
                    'SELECT xmin::text, municipality, "group", unit FROM responses')).all()
                flipped = Counter(attacker.execute(text(
                    'SELECT xmin::text, municipality, "group", unit FROM invitations '
                    "WHERE state = 'responded'")).all())
            candidates = {tuple(r): flipped[tuple(r)] for r in responses}
            assert min(candidates.values()) >= POOL, candidates
            assert len(responses) == 2 * POOL, "two Linköping batches flushed, no more"

            admin.close_round(session, round_)
            with engine.connect() as attacker:
                xmins = attacker.execute(text("SELECT DISTINCT xmin::text FROM responses"))
                assert len(xmins.all()) == 1
                assert attacker.execute(text("SELECT count(*) FROM invitations")).scalar() == 0
                assert attacker.execute(text("SELECT count(*) FROM responses")).scalar() == 10
        engine.dispose()
