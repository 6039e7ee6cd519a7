"""Rounds from creation to closing, through the admin pages and the `paverkan` command."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from sqlalchemy import inspect, select, text

import questionnaires
from survey import tokens
from survey.admin import operations
from survey.models import Invitation, Round
from survey.respondent.operations import save_draft
from tests.admin.conftest import recipient_csv


def test_a_round_created_on_the_command_line_freezes_its_definition(runner, db_session):
    result = runner.invoke(args=[
        "round", "create", "--title", "Otillåten påverkan 2026", "--year", "2025",
        "--opens", "2026-03-02", "--closes", "2026-03-30",
        "--municipality", "Linköping", "--municipality", "Norrköping",
    ])
    assert result.exit_code == 0, result.output
    round_ = db_session.scalars(select(Round)).one()
    frozen = questionnaires.load(questionnaires.DEFAULT_DEFINITION)
    assert (round_.state, round_.fingerprint) == ("draft", frozen.fingerprint)
    assert questionnaires.from_canonical_json(round_.definition).fingerprint == frozen.fingerprint
    assert round_.groups == ["förtroendevald", "medarbetare"]
    assert runner.invoke(args=["round", "open", str(round_.id)]).exit_code == 0
    again = runner.invoke(args=["round", "open", str(round_.id)])
    assert again.exit_code != 0 and "draft" in again.output
    status = runner.invoke(args=["round", "status", "Otillåten påverkan 2026"])
    assert "open" in status.output


def test_a_closed_round_never_reopens_and_sends_nothing(app, runner, db_session, open_round):
    assert runner.invoke(args=["round", "close", str(open_round.id), "--yes"]).exit_code == 0
    for args in (["round", "open", str(open_round.id)],
                 ["mail", "invite", "--round", str(open_round.id)]):
        assert runner.invoke(args=args).exit_code != 0, args
    again = runner.invoke(args=["round", "close", str(open_round.id), "--yes"])
    assert "already closed" in again.output and "erasure has been run again" in again.output
    db_session.expire_all()
    with app.app_context(), pytest.raises(operations.OperationError):
        report = operations.preview_import(db_session, open_round, recipient_csv(1), "l.csv")
        operations.import_recipients(db_session, open_round, report)


def test_the_admin_previews_a_list_then_confirms_it(admin_client, db_session, open_round):
    url = f"/admin/rounds/{open_round.id}/recipients"
    preview = admin_client.submit(url, {"file": (io.BytesIO(recipient_csv(5)), "lista.csv")},
                                  content_type="multipart/form-data")
    assert preview.status_code == 200
    assert db_session.scalars(select(Invitation)).all() == [], "nothing stored before confirming"
    upload = re.search(r'name="upload" type="hidden" value="([0-9a-f]{32})"', preview.text)[1]
    done = admin_client.submit(f"{url}/confirm", {"upload": upload, "sheet": ""},
                               form_page=url)
    assert done.status_code == 302
    assert len(db_session.scalars(select(Invitation)).all()) == 5


@pytest.mark.parametrize(
    ("content", "shown"),
    [
        (b"", "tom"),
        (b"Namn;Telefon\nAnna;070\n", "Kolumner saknas"),
        (b"PK\x03\x04junk", "Excel"),
        ("E-post;Kommun;Grupp\nfel-adress;Linköping;medarbetare\n".encode(), "Ogiltig"),
    ],
)
def test_a_bad_list_gives_a_clear_report_and_stores_nothing(
    admin_client, db_session, open_round, content, shown
):
    name = "lista.xlsx" if content.startswith(b"PK") else "lista.csv"
    page = admin_client.submit(f"/admin/rounds/{open_round.id}/recipients",
                               {"file": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")
    assert page.status_code == 200
    assert shown in page.text
    assert 'name="upload"' not in page.text
    assert db_session.scalars(select(Invitation)).all() == []


def test_an_oversized_upload_gets_a_clear_page(app, admin_client, open_round):
    app.config["RECIPIENT_UPLOAD_MAX_BYTES"] = 1024
    page = admin_client.submit(f"/admin/rounds/{open_round.id}/recipients",
                               {"file": (io.BytesIO(b"x" * 4096), "lista.csv")},
                               content_type="multipart/form-data")
    assert page.status_code == 413
    assert "MB" in page.text


def test_recipients_import_on_the_command_line_shows_the_preview(
    runner, db_session, open_round, tmp_path
):
    good = tmp_path / "lista.csv"
    good.write_bytes(recipient_csv(4))
    bad = tmp_path / "fel.csv"
    bad.write_bytes(b"E-post;Kommun;Grupp\nx@y.se;Motala;medarbetare\n")
    refused = runner.invoke(args=["recipients", "import", str(bad), "--round",
                                  str(open_round.id), "--yes"])
    assert refused.exit_code != 0 and "row 2" in refused.output
    done = runner.invoke(args=["recipients", "import", str(good), "--round",
                               str(open_round.id), "--yes"])
    assert done.exit_code == 0, done.output
    assert "Imported 4" in done.output
    assert len(db_session.scalars(select(Invitation)).all()) == 4


def test_mail_texts_are_edited_per_round_and_refuse_unknown_placeholders(
    admin_client, db_session, open_round
):
    url = f"/admin/rounds/{open_round.id}/mail/invitation"
    texts = {"subject_sv": "Enkät", "subject_en": "Survey",
             "body_sv": "Hej {namn}! {link} {optout}", "body_en": "Hi {link} {optout}"}
    refused = admin_client.submit(url, texts)
    assert refused.status_code == 200 and "namn" in refused.text
    texts["body_sv"] = "Hej! Länk: {link} Avstå: {optout}"
    assert admin_client.submit(url, texts).status_code == 302
    template = operations.mail_texts(db_session, open_round, "invitation")
    assert template.body_sv == "Hej! Länk: {link} Avstå: {optout}"


def _all_database_text(db_session) -> str:
    """Every value of every column of every table, as text."""
    connection = db_session.connection()
    chunks = []
    for table in inspect(connection).get_table_names():
        for row in connection.execute(text(f'SELECT * FROM "{table}"')):
            for value in row:
                if isinstance(value, bytes | memoryview):
                    chunks.append(bytes(value).hex())
                    chunks.append(bytes(value).decode("latin-1"))
                else:
                    chunks.append(str(value))
    return "\n".join(chunks)


def test_closing_erases_every_address_and_token_hash_from_database_and_instance_folder(
    app, admin_client, db_session, open_round, with_recipients
):
    with_recipients(6)
    invitations = db_session.scalars(select(Invitation)).all()
    with app.app_context():
        mailing = operations.start_mailing(db_session, open_round, "invitation")
        assert operations.send_mailing(db_session, mailing).sent == 6
        links = [tokens.token_for(i) for i in invitations]
        save_draft(db_session, links[0], open_round, {"a1": 1}, "p2")
    admin_client.submit(f"/admin/rounds/{open_round.id}/recipients",  # previewed, never confirmed
                        {"file": (io.BytesIO(recipient_csv(2, start=100)), "lista.csv")},
                        content_type="multipart/form-data")
    needles = {i.email for i in invitations} | {i.token_hash for i in invitations} | set(links)
    needles |= {"person100@example.se"}
    instance = Path(app.instance_path)
    assert any(n in _all_database_text(db_session) for n in needles)
    assert list((instance / "outbox").rglob("*.eml"))

    confirm = admin_client.get(f"/admin/rounds/{open_round.id}/close")
    assert "6" in confirm.text and "1" in confirm.text  # addresses, drafts, outbox files
    closed = admin_client.submit(f"/admin/rounds/{open_round.id}/close", {"understood": "y"})
    assert closed.status_code == 302

    everything = _all_database_text(db_session)
    assert [n for n in needles if n in everything] == []
    for path in instance.rglob("*"):
        if path.is_file():
            content = path.read_bytes()
            leaked = [n for n in needles if n.encode() in content]
            assert leaked == [], path
    db_session.expire_all()
    assert open_round.state == "closed" and open_round.link_salt is None
    rates = operations.response_rates(db_session, open_round)
    assert sum(r.invited for r in rates) == 6, "counts per stratum are kept"


def test_tampered_or_impossible_admin_requests_end_on_clear_pages(
    admin_client, db_session, open_round
):
    """Never a 500: forged uploads, unknown rounds and kinds, a missing CSRF token, bad dates."""
    base = f"/admin/rounds/{open_round.id}"
    forged = admin_client.submit(f"{base}/recipients/confirm",
                                 {"upload": "../../../../etc/passwd/aaaaaaaaaaa", "sheet": ""},
                                 form_page=f"{base}/recipients")
    assert forged.status_code == 302
    assert admin_client.get("/admin/rounds/999999").status_code == 404
    assert admin_client.get(f"{base}/mail/spam").status_code == 404
    no_token = admin_client.post(f"{base}/close", data={"understood": "y"})
    assert no_token.status_code == 302  # back to the page, nothing done (state checked below)
    assert "Formuläret hade gått ut" in admin_client.get(no_token.location).text
    dates = admin_client.submit("/admin/rounds/new", {
        "title": "Fel", "reference_year": "2025", "opens_on": "2026-05-01",
        "closes_on": "2026-04-01", "municipalities": "Linköping", "groups": "medarbetare",
        "min_cell_size": "5"})
    assert dates.status_code == 200 and "error-summary" in dates.text
    not_a_date = admin_client.submit("/admin/rounds/new", {"opens_on": "imorgon"})
    assert not_a_date.status_code == 200
    db_session.expire_all()
    assert open_round.state == "open"
    assert db_session.scalars(select(Invitation)).all() == []


def test_a_round_gets_a_week_more_from_the_page_or_the_command_line(
    admin_client, runner, db_session, open_round
):
    import datetime as dt

    def day(offset: int) -> str:
        return (dt.date.today() + dt.timedelta(days=offset)).isoformat()

    url = f"/admin/rounds/{open_round.id}/dates"
    wrong = admin_client.submit(url, {"opens_on": day(40), "closes_on": day(10)})
    assert wrong.status_code == 200 and "error-summary" in wrong.text
    assert admin_client.submit(url, {"opens_on": day(-1),
                                     "closes_on": day(37)}).status_code == 302
    db_session.expire_all()
    assert str(open_round.closes_on) == day(37)
    moved = runner.invoke(args=["round", "dates", str(open_round.id), "--closes", day(44)])
    assert moved.exit_code == 0, moved.output
    db_session.expire_all()
    assert str(open_round.closes_on) == day(44)
    runner.invoke(args=["round", "close", str(open_round.id), "--yes"])
    assert runner.invoke(args=["round", "dates", str(open_round.id), "--closes",
                               day(60)]).exit_code != 0


def test_the_preview_names_the_other_sheets_of_a_workbook(admin_client, open_round):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "Linköping"
    workbook.active.append(["E-post", "Kommun", "Grupp"])
    workbook.active.append(["a@example.se", "Linköping", "medarbetare"])
    workbook.create_sheet("Norrköping").append(["E-post", "Kommun", "Grupp"])
    data = io.BytesIO()
    workbook.save(data)
    data.seek(0)
    page = admin_client.submit(f"/admin/rounds/{open_round.id}/recipients",
                               {"file": (data, "lista.xlsx")},
                               content_type="multipart/form-data")
    assert "Blad: Linköping" in page.text and "Andra blad i filen: Norrköping" in page.text
