"""The acceptance attacker: a whole fielded round, backed up after every event.

240 invitees in 8 strata (2 municipalities x 2 groups x 2 units), the invitation, then
respondents in four waves with three reminders between them, the flush timer firing now and
then, a few opt-outs, and the close. After every event — each draft saved, each submit,
each flush, each reminder, each opt-out, the close — the attacker takes a backup: every row
of the tables a visit or a mailing touches, with PostgreSQL's ``xmin`` and ``ctid``, the
stored length of every sealed value, and the delivery rows. Holding the recipient list but
not the instance secret, they match by length, by reminder windows and by order, on a
database where every transaction commits for real (SQLite file or PostgreSQL).

docs/anonymity.md states the figures this story yields.
"""

from __future__ import annotations

import random
from collections import defaultdict
from contextlib import nullcontext

import pytest
from sqlalchemy import select, text

from survey import db, migrate, tokens
from survey.admin import operations as admin
from survey.models import Invitation
from survey.respondent import operations
from tests.conftest import make_test_app, postgres_database, require
from tests.survey.fielding import open_round_with_list

K = 5
MUNICIPALITIES = ("Linköping", "Norrköping")
GROUPS = ("förtroendevald", "medarbetare")
UNITS = ("Kultur", "Skola")
PER_STRATUM = 30
SEALED = {"drafts": "content", "submission_pool": "sealed_content", "sessions": "content"}


def _backup(connection) -> dict:
    """What a dump holds: rows (with xmin and ctid on PostgreSQL), sealed lengths, deliveries."""
    postgres = connection.dialect.name == "postgresql"
    hidden = "xmin::text AS xmin, ctid::text AS ctid, " if postgres else ""
    invitations = {r["id"]: dict(r) for r in connection.execute(text(
        f"SELECT {hidden}id, municipality, \"group\", unit, state FROM invitations")).mappings()}
    responses = {r["id"]: dict(r) for r in connection.execute(text(
        f"SELECT {hidden}id, municipality, \"group\", unit FROM responses")).mappings()}
    lengths = {table: sorted(len(bytes(v)) for v in connection.execute(
        text(f"SELECT {column} FROM {table}")).scalars()) for table, column in SEALED.items()}
    deliveries = connection.execute(text(
        "SELECT m.kind, m.number, d.invitation_id FROM deliveries d "
        "JOIN mailings m ON m.id = d.mailing_id")).all()
    connection.rollback()
    return {"invitations": invitations, "responses": responses, "lengths": lengths,
            "deliveries": deliveries}


def _stratum(row) -> tuple:
    return row["municipality"], row["group"], row["unit"]


def _field_a_round(app, engine) -> tuple[list[dict], list[str]]:
    """Runs the story; returns the backups and, for each, the event that preceded it."""
    chance = random.Random(2026)
    rows = [f"p{m}{g}{u}{i}@kommun.se;{municipality};{group};{unit}"
            for m, municipality in enumerate(MUNICIPALITIES) for g, group in enumerate(GROUPS)
            for u, unit in enumerate(UNITS) for i in range(PER_STRATUM)]
    backups, events = [], []
    with app.app_context(), engine.connect() as attacker:
        session = db.session()

        def backup(event: str) -> None:
            backups.append(_backup(attacker))
            events.append(event)

        round_ = open_round_with_list(session, rows, list(MUNICIPALITIES), list(GROUPS))
        admin.send_mailing(session, admin.start_mailing(session, round_, "invitation"))
        backup("invitation")
        people = session.scalars(select(Invitation).order_by(Invitation.email)).all()
        chance.shuffle(people)
        # Waves of 60, 40, 30 and 20 respondents (62 %); three opt out after the first wave.
        waves = [people[:60], people[60:100], people[100:130], people[130:150]]
        decliners = people[150:153]
        for number, wave in enumerate(waves):
            for position, invitation in enumerate(wave):
                token = tokens.token_for(invitation)
                answers = {"a4": chance.choice((0, 1)), "b1": chance.randrange(4)}
                if chance.random() < 0.3:
                    answers["f2"] = "x" * chance.randrange(1, 400)
                operations.save_draft(session, token, round_, answers, "review")
                backup("draft")
                assert operations.submit(session, token)
                backup("submit")
                if position % 17 == 16:
                    operations.flush_pool(session, round_.id)
                    backup("timer")
            if number == 0:
                for invitation in decliners:
                    assert admin.decline(session, invitation)
                    backup("opt-out")
            if number < 3:
                reminder = admin.start_mailing(session, round_, "reminder", number + 1)
                admin.send_mailing(session, reminder)
                backup(f"reminder {number + 1}")
        admin.close_round(session, round_)
        backup("close")
    return backups, events


def _attack(backups: list[dict], events: list[str]) -> dict:
    """Every channel the attacker has; returns what they learnt."""
    sealed_lengths = {n for b in backups for table in ("drafts", "submission_pool")
                      for n in b["lengths"][table]}
    session_lengths = {n for b in backups for n in b["lengths"]["sessions"]}
    # Reminder windows: what each person's reminders were, as the delivery rows said.
    reminded: dict[str, set] = defaultdict(set)
    for b in backups:
        for kind, number, invitation_id in b["deliveries"]:
            if kind == "reminder":
                reminded[invitation_id].add(number)
    smallest: dict[str, int] = {}
    narrowed_by_reminders = 0
    for before, after, event in zip(backups, backups[1:], events[1:], strict=False):
        new = [r for i, r in after["responses"].items() if i not in before["responses"]]
        if not new:
            continue
        for key in {_stratum(r) for r in new}:
            # A candidate: of this stratum, not responded before, and responded or gone after.
            candidates = [i for i, row in before["invitations"].items()
                          if _stratum(row) == key and row["state"] == "invited"
                          and after["invitations"].get(i, {"state": "responded"})["state"]
                          == "responded"]
            if event != "close":
                # Reminders narrow only if the candidates' reminder histories differ.
                histories = {frozenset(reminded[i]) for i in candidates}
                narrowed_by_reminders += len(histories) > 1
            smallest[event] = min(smallest.get(event, len(candidates)), len(candidates))
    return {"sealed_lengths": sealed_lengths, "session_lengths": session_lengths,
            "smallest": smallest, "narrowed_by_reminders": narrowed_by_reminders}


@pytest.mark.parametrize("database", ["sqlite", "postgresql"])
def test_a_fielded_round_backed_up_after_every_event_links_nobody(database, request, tmp_path):
    if database == "postgresql":
        require(request.config, "postgres")
        context = postgres_database("paverkan_anon_fielded")
    else:
        context = nullcontext(f"sqlite:///{tmp_path / 'fielded.db'}")
    with context as url:
        app = make_test_app(url, tmp_path / "instance", POOL_SIZE=K, SCRUB_WAIT_SECONDS=0)
        engine = db.database(app).engine
        migrate.upgrade(engine)
        backups, events = _field_a_round(app, engine)
        learnt = _attack(backups, events)
        final = backups[-1]
        with engine.connect() as attacker:
            # Storage order: PostgreSQL's heap; SQLite's table b-tree (WITHOUT ROWID: by key).
            order = " ORDER BY ctid" if database == "postgresql" else ""
            stored = list(attacker.execute(text(f"SELECT id FROM responses{order}")).scalars())
        engine.dispose()

    # Length: one sealed length for every draft and pool entry of the round, in every backup.
    assert len(learnt["sealed_lengths"]) == 1, learnt["sealed_lengths"]
    assert not learnt["session_lengths"], "a respondent's session left a row"
    # Reminder windows: within every batch, the candidates had the same reminders.
    assert learnt["narrowed_by_reminders"] == 0
    # Batches: every diff that shows new responses leaves at least K candidates per stratum.
    assert min(learnt["smallest"].values()) >= K, learnt["smallest"]
    assert "submit" not in learnt["smallest"] and "draft" not in learnt["smallest"]
    # Order after the close: nothing per person left; PostgreSQL's heap in id order, one xmin.
    assert not final["invitations"] and not final["deliveries"]
    assert len(final["responses"]) == 150
    assert stored == sorted(stored)
    if database == "postgresql":
        assert len({r["xmin"] for r in final["responses"].values()}) == 1
