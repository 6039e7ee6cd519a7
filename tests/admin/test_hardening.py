"""The security review's findings, each played by the attacker of docs/anonymity.md: an
administrator who holds the recipient list, the database (and its files), every backup and
the outbox, and wants to know who answered what."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, text

from survey import db, migrate, tokens
from survey.admin import operations
from survey.admin.models import Delivery
from survey.config import Config
from survey.mail import TransportError, transport_from_url
from survey.models import Invitation
from survey.respondent.operations import save_draft, submit
from tests.conftest import InvitationFactory, make_test_app, postgres_database, require

TODAY = dt.date.today()


def _csv(rows: list[tuple[str, str, str, str]]) -> bytes:
    lines = ["E-post;Kommun;Grupp;Enhet"] + [";".join(r) for r in rows]
    return ("\r\n".join(lines) + "\r\n").encode("cp1252")


def _import(db_session, round_, rows) -> None:
    report = operations.preview_import(db_session, round_, _csv(rows), "lista.csv")
    assert report.ok, report.problems
    operations.import_recipients(db_session, round_, report)


def _answer(db_session, invitation: Invitation, day: dt.date) -> None:
    token = tokens.token_for(invitation)
    save_draft(db_session, token, invitation.round, {"a4": 1}, "review")
    assert submit(db_session, token, today=day)


def _reminder_story(app, db_session, round_) -> dict[str, Invitation]:
    """The reviewer's story: 6 elected officials and 30 staff; some answer in the first week,
    a reminder goes to the rest, some more answer after it; then the round closes."""
    rows = [(f"fv{i}@example.se", "Linköping", "förtroendevald", "") for i in range(6)]
    rows += [(f"m{i}@example.se", "Linköping", "medarbetare", "") for i in range(30)]
    with app.app_context():
        _import(db_session, round_, rows)
        operations.send_mailing(db_session, operations.start_mailing(db_session, round_,
                                                                     "invitation"))
        people = {i.email: i for i in db_session.scalars(select(Invitation))}
        for email in ["fv0@example.se"] + [f"m{i}@example.se" for i in range(15)]:
            _answer(db_session, people[email], TODAY)
        operations.send_mailing(db_session, operations.start_mailing(db_session, round_,
                                                                     "reminder"))
        for email in ["fv1@example.se", "fv2@example.se"] + [
            f"m{i}@example.se" for i in range(15, 21)
        ]:
            _answer(db_session, people[email], TODAY + dt.timedelta(days=1))
        operations.close_round(db_session, round_)
    return people


# A1: reminder state and submission days


def test_after_closing_nothing_tells_one_responder_from_another(
    app, db_session, open_round
):
    """One snapshot after the close: reminders skipped those whose answers were flushed, so
    any per-person trace of a reminder (a delivery row, a mail counter) together with any
    day on a response pairs them. No invitation is left, within a stratum every response
    looks the same, and the dashboard keeps its mail and response counts."""
    _reminder_story(app, db_session, open_round)
    db_session.expire_all()
    connection = db_session.connection()
    assert connection.execute(text("SELECT count(*) FROM deliveries")).scalar() == 0
    assert connection.execute(text("SELECT count(*) FROM invitations")).scalar() == 0, (
        "no per-person row outlives the close")
    responses = connection.execute(text("SELECT * FROM responses")).mappings().all()
    assert len(responses) == 1 + 15 + 2 + 6
    looks: dict[tuple, set] = {}
    for row in responses:
        looks.setdefault((row["municipality"], row["group"]), set()).add(
            tuple(v for k, v in row.items() if k not in ("id", "answers")))
    assert all(len(v) == 1 for v in looks.values()), looks

    rates = {r.group: r for r in operations.response_rates(db_session, open_round)}
    # The reminder went to every invitation not flushed: fv0's answer waited in the pool.
    assert (rates["förtroendevald"].mails_sent, rates["medarbetare"].mails_sent) == (
        6 + 6, 30 + 15)
    assert (rates["förtroendevald"].responded, rates["medarbetare"].responded) == (3, 21)
    overview = {(m.kind, m.number): counts
                for m, counts in operations.mailing_overview(db_session, open_round)}
    assert overview == {("invitation", 1): {"sent": 36}, ("reminder", 1): {"sent": 21}}


# A2: PostgreSQL's xmin is a clock


def test_after_closing_postgres_row_versions_tell_no_order(app, db_session, open_round):
    """xmin is the transaction that wrote a row: a delivery's says when that person was
    mailed, a response's which flush made it. After the close every response of the round
    and the counts that replace its invitations carry one and the same xmin, and no delivery
    or invitation is left."""
    if db_session.connection().dialect.name != "postgresql":
        pytest.skip("xmin is PostgreSQL's")
    _reminder_story(app, db_session, open_round)
    connection = db_session.connection()
    assert connection.execute(text("SELECT count(*) FROM deliveries")).scalar() == 0
    assert connection.execute(text("SELECT count(*) FROM invitations")).scalar() == 0
    versions = connection.execute(
        text("SELECT DISTINCT xmin::text FROM responses WHERE round_id = :r UNION "
             "SELECT DISTINCT xmin::text FROM stratum_counts WHERE round_id = :r"),
        {"r": open_round.id},
    ).scalars().all()
    assert len(versions) == 1, f"the close's rows keep {len(versions)} row versions"


# A3: erased values on disk


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def own_database(request, tmp_path):
    """A database of this test's own, outside the rolled-back test transaction, so the close
    commits for real (and may vacuum). Yields (url, function listing the files that hold
    the database's data)."""
    if request.param == "sqlite":
        folder = tmp_path / "data"
        folder.mkdir()
        yield f"sqlite:///{folder / 'paverkan.sqlite3'}", lambda: sorted(folder.iterdir())
        return
    require(request.config, "postgres")
    with postgres_database("paverkan_disk") as url:
        probe = create_engine(url, isolation_level="AUTOCOMMIT")

        def files() -> list[Path]:
            with probe.connect() as connection:
                connection.exec_driver_sql("CHECKPOINT")  # what is in memory reaches the files
                data = Path(connection.exec_driver_sql("SHOW data_directory").scalar())
                oid = connection.exec_driver_sql(
                    "SELECT oid FROM pg_database WHERE datname = current_database()").scalar()
            folder = data / "base" / str(oid)
            try:
                return sorted(p for p in folder.iterdir() if p.is_file())
            except PermissionError:
                pytest.skip(f"cannot read PostgreSQL's data directory {data} (CI runs as root)")

        yield url, files
        probe.dispose()


def test_closing_leaves_no_address_or_token_hash_in_the_database_files(own_database, tmp_path):
    """The attacker copies the database's files (a SQLite file and its write-ahead log, or
    PostgreSQL's table files) after the close and searches them byte by byte."""
    url, files = own_database
    app = make_test_app(url, tmp_path / "instance")
    migrate.upgrade(db.database(app).engine)
    n = 40
    rows = [(f"person{i}@example.se", ("Linköping", "Norrköping")[i % 2],
             ("förtroendevald", "medarbetare")[i % 3 == 0], "") for i in range(n)]
    with app.app_context():
        session = db.session()
        round_ = operations.create_round(
            session, title="Omgång", reference_year=2025, opens_on=TODAY, closes_on=TODAY,
            municipalities=["Linköping", "Norrköping"], groups=["förtroendevald", "medarbetare"],
        )
        operations.open_round(session, round_)
        _import(session, round_, rows)
        operations.send_mailing(session, operations.start_mailing(session, round_,
                                                                  "invitation"))
        people = list(session.scalars(select(Invitation)))
        secrets_ = {p.email.encode() for p in people} | {p.token_hash.encode() for p in people}
        for person in people[:7]:
            _answer(session, person, TODAY)
        before = b"".join(p.read_bytes() for p in files())
        assert b"person7@example.se" in before
        operations.close_round(session, round_)
        session.close()
    after = {p.name: p.read_bytes() for p in files()}  # the server still runs
    db.database(app).engine.dispose()
    for name, content in after.items():
        leaked = [s for s in secrets_ if s in content]
        assert leaked == [], f"{name} still holds {len(leaked)} addresses or token hashes"


# A4: the outbox


def test_mail_goes_to_an_outbox_folder_only_when_asked_for(
    app, db_session, open_round, with_recipients
):
    """An outbox folder holds every respondent's link in clear: a production instance that
    forgot its mail URL must not quietly write one. A named outbox (a mail URL) or the demo
    is asked for."""
    production = Config("/srv/paverkan", environ={})
    assert production.MAIL_URL is None and not production.MAIL_OUTBOX_ALLOWED
    assert Config("/x", environ={"PAVERKAN_MAIL_URL": "outbox:///x/ut"}).MAIL_URL
    assert Config("/x", environ={"PAVERKAN_DEMO": "1"}).MAIL_OUTBOX_ALLOWED
    with_recipients(3)
    app.config.update(MAIL_URL=None, MAIL_OUTBOX_ALLOWED=False)
    with app.test_request_context():
        mailing = operations.start_mailing(db_session, open_round, "invitation")
        with pytest.raises(operations.OperationError, match="PAVERKAN_MAIL_URL"):
            operations.send_mailing(db_session, mailing)
    assert not list(Path(app.instance_path).rglob("*.eml"))


# A5: small units


def test_the_import_refuses_a_unit_smaller_than_the_minimum_cell(app, db_session, open_round):
    """A unit of two copied into every response names its two respondents. A stratum that
    is one unit says nothing more than the stratum, so only a unit that splits it counts."""
    rows = [(f"k{i}@example.se", "Linköping", "medarbetare", "Kultur") for i in range(6)]
    rows += [(f"it{i}@example.se", "Linköping", "medarbetare", "IT") for i in range(2)]
    rows += [(f"n{i}@example.se", "Norrköping", "förtroendevald", "Fullmäktige")
             for i in range(2)]
    with app.app_context():
        report = operations.preview_import(db_session, open_round, _csv(rows), "lista.csv")
    assert not report.ok
    [problem] = report.problems
    assert problem.code == "small_unit"
    assert problem.row == 8 and "IT" in problem.value
    with app.app_context(), pytest.raises(operations.OperationError):
        operations.import_recipients(db_session, open_round, report)


def test_the_dashboard_hides_small_units_and_their_complement(
    app, admin_client, db_session, open_round
):
    """A unit of one shows '1/1 responded'; and hiding it alone is not enough when the
    stratum's total minus the other units gives it back."""
    units = {"Kultur": 8, "Miljö": 6, "IT": 1}
    for unit, size in units.items():
        for i in range(size):
            InvitationFactory(round=open_round, municipality="Linköping", group="medarbetare",
                              unit=unit, state="responded" if i == 0 else "invited")
    rates = {r.unit: r for r in operations.response_rates(db_session, open_round, by_unit=True)}
    assert rates["IT"].responded is None and rates["IT"].rate is None
    assert rates["Miljö"].responded is None, "the complement is hidden too"
    assert rates["Kultur"].responded == 1
    assert rates["IT"].invited == 1
    [stratum] = operations.response_rates(db_session, open_round)
    assert stratum.responded == 3
    page = admin_client.get(f"/admin/rounds/{open_round.id}").text
    it_row = page[page.index("<td>IT</td>"):].split("</tr>")[0]
    assert "100" not in it_row and "<td>1</td><td>1</td>" not in it_row


# B1: reminders and the pool


def test_a_resumed_reminder_skips_who_opted_out_meanwhile(
    app, db_session, open_round, with_recipients, smtp_server
):
    """The admin page sends reminders for a while and then says 'press again'; someone
    opts out in between. The resumed run must not remind them."""
    with_recipients(6)
    recorder, url = smtp_server("plain")
    app.config["MAIL_URL"] = url
    with app.app_context():
        operations.send_mailing(db_session, operations.start_mailing(db_session, open_round,
                                                                     "invitation"))
        recorder.messages.clear()
        mailing = operations.start_mailing(db_session, open_round, "reminder")
        first = operations.send_mailing(db_session, mailing, budget=0)
        assert first.sent == 1 and first.remaining == 5
        waiting = db_session.scalars(
            select(Delivery.invitation_id).where(Delivery.mailing_id == mailing.id,
                                                 Delivery.state == "pending")).all()
        victim = db_session.get(Invitation, waiting[0])
        assert operations.decline(db_session, victim)
        resumed = operations.start_mailing(db_session, open_round, "reminder")
        assert resumed.id == mailing.id
        second = operations.send_mailing(db_session, resumed)
    assert second.sent == 4
    assert victim.email not in recorder.recipients()


# B2: no mail in clear text


def test_smtp_without_tls_is_refused_unless_the_url_says_so(smtp_server, tmp_path):
    """A relay that offers no STARTTLS would get every respondent's link in clear text."""
    recorder, url = smtp_server("plain")
    plain = url.replace("&tls=none", "")
    with pytest.raises(TransportError, match="TLS"), transport_from_url(
        plain, tmp_path).connect():
        pass
    with transport_from_url(plain + "&tls=none", tmp_path).connect():
        pass


def test_every_sqlite_connection_zeroes_what_it_deletes(tmp_path):
    """Without `secure_delete` an erased address stays in the file's free space until a
    VACUUM; Debian builds SQLite with it on, other builds (python.org, macOS) do not, so the
    app asks for it on every connection."""
    engine = db.make_engine(f"sqlite:///{tmp_path / 'paverkan.sqlite3'}")
    for _ in range(2):  # a fresh connection each time
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA secure_delete").scalar() == 1
        engine.dispose()
