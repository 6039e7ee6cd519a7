"""The attacker's story: an administrator holding the recipient list, the whole database,
every backup and the application log tries to tell who answered what (docs/anonymity.md).

Each test plays one line of attack and shows that it yields nothing better than the pool
size allows. They run on SQLite and on PostgreSQL.
"""

from __future__ import annotations

import json
import logging

import pytest
from sqlalchemy import Date, DateTime, inspect, select, text

from survey.models import PooledSubmission, Response
from survey.respondent import operations
from tests.conftest import InvitationFactory, RoundFactory
from tests.survey.test_respondent import answer_pages, start

POOL = 3  # the test app's POOL_SIZE
LINKABLE_TABLES = ("invitations", "responses", "submission_pool", "drafts", "sessions")


def submit_directly(app, db_session, invitation, answers: dict, flush: bool = True) -> None:
    """A respondent's whole visit, through the same operations the pages call; then (unless
    told not to) the flush timer runs, as if it fired right after this submit."""
    with app.app_context():
        operations.save_draft(db_session, invitation.token, invitation.round, answers, "review")
        assert operations.submit(db_session, invitation.token)
        if flush:
            operations.flush_pool(db_session, invitation.round_id)


def snapshot(db_session) -> dict[str, set[tuple]]:
    """What a database backup holds: every row of the tables an attacker would diff."""
    db_session.expire_all()
    return {
        table: {
            tuple(json.dumps(v, sort_keys=True) if isinstance(v, dict | list) else v for v in row)
            for row in db_session.execute(text(f"SELECT * FROM {table}"))
        }
        for table in LINKABLE_TABLES
    }


@pytest.fixture
def round_with_invitations(db_session):
    round_ = RoundFactory()
    invitations = [
        InvitationFactory(round=round_, email=f"p{i}@kommun.se") for i in range(2 * POOL)
    ]
    return round_, invitations


def test_no_column_of_a_response_points_at_a_person_or_a_moment(db_session):
    """The schema itself: no foreign key to invitations, no e-mail, token, address, time or
    date in responses or the pool."""
    inspector = inspect(db_session.connection())
    for table in ("responses", "submission_pool"):
        columns = {c["name"]: c for c in inspector.get_columns(table)}
        assert not {"invitation_id", "email", "token", "token_hash", "ip", "user_agent"} & set(
            columns
        )
        targets = {fk["referred_table"] for fk in inspector.get_foreign_keys(table)}
        assert targets == {"rounds"}
        for column in columns.values():
            assert not isinstance(column["type"], Date | DateTime), f"{table}.{column['name']}"
    for table in ("drafts", "sessions", "invitations"):
        for column in inspector.get_columns(table):
            assert not isinstance(column["type"], DateTime), f"{table}.{column['name']}"


def test_backup_diffs_show_whole_batches_never_one_invitation_and_one_response(
    app, db_session, round_with_invitations
):
    """Backups taken after every single submission: no diff pairs one invitation with one
    response. Invitations change only in a flush, together with a whole batch of responses."""
    _, invitations = round_with_invitations
    backups = [snapshot(db_session)]
    for number, invitation in enumerate(invitations):
        submit_directly(app, db_session, invitation, {"a4": 1, "b1": number % 4})
        backups.append(snapshot(db_session))
    flushes = 0
    for before, after in zip(backups, backups[1:], strict=False):
        changed_invitations = before["invitations"] - after["invitations"]
        new_responses = after["responses"] - before["responses"]
        if changed_invitations:
            flushes += 1
            assert len(changed_invitations) == len(new_responses) == POOL
            assert not after["submission_pool"], "the pool empties in the same transaction"
        else:
            assert not new_responses
    assert flushes == 2


def test_response_ids_and_storage_order_say_nothing_about_who_came_first(
    app, db_session, round_with_invitations
):
    _, invitations = round_with_invitations
    app.config["POOL_SIZE"] = len(invitations)
    for number, invitation in enumerate(invitations):
        submit_directly(app, db_session, invitation, {"a4": 1, "b1": number % 4})
    responses = db_session.scalars(select(Response).order_by(Response.id)).all()
    assert len(responses) == len(invitations)
    ids = [r.id for r in responses]
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)
    assert not {i.id for i in invitations} & set(ids), "no shared ids"
    connection = db_session.connection()
    if connection.dialect.name == "sqlite":
        stored = [row[0] for row in connection.execute(text("SELECT id FROM responses"))]
        assert stored == sorted(stored), "WITHOUT ROWID: rows live in random-key order"
    else:
        physical = [
            row[1]
            for row in connection.execute(text("SELECT ctid, answers FROM responses ORDER BY ctid"))
        ]
        submitted = [{"a4": 1, "b1": n % 4} for n in range(len(invitations))]
        assert physical != submitted, "rows were inserted in shuffled order"


def test_hidden_row_metadata_pairs_batches_not_people(app, db_session, round_with_invitations):
    """SQLite: no table a respondent's visit touches has a rowid (insertion order).
    PostgreSQL: every row remembers the transaction that wrote it (xmin); responses and the
    invitations they belong to share one xmin per batch of POOL, never one each."""
    _, invitations = round_with_invitations
    for number, invitation in enumerate(invitations):
        submit_directly(app, db_session, invitation, {"a4": 1, "b1": number % 4})
    connection = db_session.connection()
    if connection.dialect.name == "sqlite":
        for table in LINKABLE_TABLES:
            with pytest.raises(Exception, match="rowid"):
                connection.execute(text(f"SELECT rowid FROM {table}"))
        return
    response_xmins = connection.execute(text("SELECT xmin::text FROM responses")).scalars().all()
    invitation_xmins = (
        connection.execute(text("SELECT xmin::text FROM invitations WHERE state = 'responded'"))
        .scalars()
        .all()
    )
    assert len(response_xmins) == len(invitations)
    for xmin in set(response_xmins):
        assert response_xmins.count(xmin) == POOL
        assert invitation_xmins.count(xmin) == POOL


def test_drafts_sessions_and_pool_hold_no_invitation_id_address_or_token_hash(
    app, client, db_session, round_with_invitations
):
    """Everything a respondent's visit writes, scanned byte by byte for anything that names
    their invitation."""
    _, invitations = round_with_invitations
    walker = invitations[0]
    location, _ = answer_pages(client, start(client, walker.token), stop_after=3)
    submit_directly(app, db_session, invitations[1], {"a4": 1})
    identifying = set()
    for invitation in invitations:
        identifying |= {invitation.id, invitation.email, invitation.token_hash, invitation.token}
    for table in ("drafts", "sessions", "submission_pool"):
        for row in db_session.execute(text(f"SELECT * FROM {table}")):
            blob = " ".join(
                v.hex() + repr(bytes(v)) if isinstance(v, bytes | memoryview) else str(v)
                for v in row
            )
            for value in identifying:
                assert value not in blob, f"{table} reveals {value}"


def test_a_submitted_invitation_looks_like_any_other_until_the_flush(
    app, db_session, round_with_invitations
):
    """Between flushes the invitation row of a respondent who has answered is byte for byte
    what it was, so the recipient list cannot tell them apart from those who have not."""
    _, invitations = round_with_invitations
    before = snapshot(db_session)["invitations"]
    submit_directly(app, db_session, invitations[0], {"a4": 1})
    assert snapshot(db_session)["invitations"] == before
    assert db_session.scalar(select(PooledSubmission.marker)) not in {i.id for i in invitations}


def test_not_even_the_kth_submit_flushes_inside_its_own_request(
    app, db_session, round_with_invitations
):
    """If the K-th submit of a stratum flushed, its entry would never be seen in the pool
    and the batch would appear at the moment that person pressed Send. The pool waits for
    the flush timer."""
    round_, invitations = round_with_invitations
    for invitation in invitations[:POOL]:
        submit_directly(app, db_session, invitation, {"a4": 1}, flush=False)
    assert len(snapshot(db_session)["submission_pool"]) == POOL
    assert not snapshot(db_session)["responses"]
    with app.app_context():
        assert operations.flush_pool(db_session, round_.id) == POOL
    after = snapshot(db_session)
    assert len(after["responses"]) == POOL and not after["submission_pool"]


def test_no_log_line_holds_a_token_an_address_or_a_browser(app, client, db_session, caplog):
    """A full visit with every logger at DEBUG: the log holds no link token, no client
    address and no user agent."""
    invitation = InvitationFactory()
    caplog.set_level(logging.DEBUG)
    agent = "Mozilla/5.0 (AttackerTest; Linux) Gecko/20100101 Firefox/140.0"
    client.environ_base.update(REMOTE_ADDR="198.51.100.23", HTTP_USER_AGENT=agent)
    client.get(f"/s/{invitation.token}")
    answer_pages(client, start(client, invitation.token))
    client.submit("/svar/granska", {"action": "submit"})
    client.get(f"/s/{invitation.token}X")
    client.get(f"/s/{invitation.token}/nonsense")
    logged = "\n".join(r.getMessage() + str(r.args) for r in caplog.records)
    for secret in (invitation.token, "198.51.100.23", "AttackerTest"):
        assert secret not in logged


def test_a_crash_on_a_link_address_logs_the_address_without_the_token(app, caplog):
    """Flask logs the path of a request that failed; ours is redacted first."""
    token = "A1b2" * 10 + "xyz"

    @app.get("/s/<path:token>/boom")
    def boom(token):
        raise RuntimeError("boom")

    app.config["TESTING"] = False
    caplog.set_level(logging.ERROR)
    response = app.test_client().get(f"/s/{token}/boom")
    assert response.status_code == 500 and "Något gick fel" in response.text
    messages = [r.getMessage() for r in caplog.records]
    assert "Exception on /s/…/boom [GET]" in messages
    assert token not in "\n".join(messages)
