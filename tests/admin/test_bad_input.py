"""Bad input from staff and their files gets a clear message, never a 500, and stores nothing.

PostgreSQL refuses what SQLite takes: a NUL character in a text column, a value longer than
its varchar. Each story runs on both databases.
"""

from __future__ import annotations

import io

import pandas as pd
import pytest
from flask_wtf import FlaskForm
from openpyxl import Workbook
from sqlalchemy import select

from survey.admin import forms as admin_forms
from survey.auth import forms as auth_forms
from survey.forms import StaffForm
from survey.models import Invitation, Round, User
from tests.admin.conftest import PASSWORD_OF

NEW_ROUND = {
    "title": "Otillåten påverkan 2026",
    "reference_year": "2025",
    "opens_on": "2026-03-02",
    "closes_on": "2026-03-30",
    "municipalities": "Linköping\nNorrköping",
    "groups": "förtroendevald\nmedarbetare",
    "min_cell_size": "5",
}
CONTROL_MESSAGE = "osynligt styrtecken"


def create_on_the_command_line(runner, *extra):
    return runner.invoke(args=[
        "round", "create", "--title", "Otillåten påverkan 2026", "--year", "2025",
        "--opens", "2026-03-02", "--closes", "2026-03-30", *extra,
    ])


def upload(admin_client, round_, content: bytes, name: str = "lista.csv"):
    return admin_client.submit(f"/admin/rounds/{round_.id}/recipients",
                               {"file": (io.BytesIO(content), name)},
                               content_type="multipart/form-data")


def test_a_nul_in_the_login_address_is_a_message_for_anyone(client):
    """Anyone can reach the login page: a pasted NUL must not crash it on PostgreSQL."""
    page = client.submit("/login", {"email": "a\x00@b.se", "password": PASSWORD_OF})
    assert page.status_code == 200
    assert CONTROL_MESSAGE in page.text


def test_a_nul_in_the_new_round_title_is_a_message_and_no_round(admin_client, db_session):
    page = admin_client.submit("/admin/rounds/new", {**NEW_ROUND, "title": "Runda\x00 2026"})
    assert page.status_code == 200
    assert CONTROL_MESSAGE in page.text
    assert db_session.scalars(select(Round)).all() == []


def test_every_staff_form_checks_for_control_characters():
    """A form added later gets the check by deriving from StaffForm; this says if one does not."""
    forms = [value for module in (admin_forms, auth_forms) for value in vars(module).values()
             if isinstance(value, type) and issubclass(value, FlaskForm)]
    assert len(forms) > 5
    assert [form.__name__ for form in forms if not issubclass(form, StaffForm)] == []


def test_a_control_character_in_a_mail_text_is_a_message(admin_client, open_round):
    page = admin_client.submit(f"/admin/rounds/{open_round.id}/mail/invitation", {
        "subject_sv": "Enkät\x07", "subject_en": "Survey",
        "body_sv": "{link} {optout}", "body_en": "{link}\r\n{optout}\tx",
    })
    assert page.status_code == 200
    assert CONTROL_MESSAGE in page.text
    assert page.text.count("error-message") == 1, "line breaks and tabs in a text are fine"


def test_a_municipality_name_longer_than_the_database_keeps_is_refused_at_creation(
    admin_client, runner, db_session
):
    """Accepted today, it would fail only at the import confirmation, weeks later."""
    long_name = "L" * 101
    page = admin_client.submit("/admin/rounds/new",
                               {**NEW_ROUND, "municipalities": f"Linköping\n{long_name}"})
    assert page.status_code == 200
    assert "längre än 100 tecken" in page.text and long_name in page.text
    result = create_on_the_command_line(runner, "--municipality", long_name)
    assert result.exit_code == 1
    assert "longer than 100 characters" in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert db_session.scalars(select(Round)).all() == []


def test_a_group_name_longer_than_the_database_keeps_is_refused_at_creation(
    runner, db_session
):
    result = create_on_the_command_line(runner, "--municipality", "Linköping",
                                        "--group", "g" * 101)
    assert result.exit_code == 1 and "longer than 100 characters" in result.output
    assert db_session.scalars(select(Round)).all() == []


def test_a_title_of_300_characters_on_the_command_line_is_a_message(runner, db_session):
    result = runner.invoke(args=[
        "round", "create", "--title", "T" * 300, "--year", "2025", "--opens", "2026-03-02",
        "--closes", "2026-03-30", "--municipality", "Linköping",
    ])
    assert result.exit_code == 1
    assert "title is longer than 200 characters" in result.output
    assert db_session.scalars(select(Round)).all() == []


def test_a_unit_longer_than_the_database_keeps_is_a_problem_in_the_preview(
    admin_client, runner, db_session, open_round, tmp_path
):
    """The preview promised a clean list and the confirmation crashed: now the preview says
    which row to shorten, and neither the page nor the command stores anything."""
    content = ("E-post;Kommun;Grupp;Enhet\n"
               "a@example.se;Linköping;medarbetare;Skola\n"
               f"b@example.se;Linköping;medarbetare;{'U' * 201}\n").encode()
    page = upload(admin_client, open_round, content)
    assert page.status_code == 200
    assert "Enhetens namn är längre än 200 tecken" in page.text
    assert 'name="upload"' not in page.text
    path = tmp_path / "lista.csv"
    path.write_bytes(content)
    result = runner.invoke(args=["recipients", "import", str(path), "--round",
                                 str(open_round.id), "--yes"])
    assert result.exit_code == 1
    assert "row 3: The unit name is longer than 200 characters" in result.output
    assert db_session.scalars(select(Invitation)).all() == []


def test_control_characters_in_a_recipient_file_are_row_problems(
    admin_client, db_session, open_round
):
    """A NUL after a BOM (without one the file is not text at all) and other control
    characters are shown with their row and the character made visible. (An .xlsx cannot
    hold one: XML forbids them and openpyxl leaves Excel's _x0000_ escapes as they are.)"""
    content = ("\ufeffE-post;Kommun;Grupp;Enhet\n"
               "a\x00@example.se;Linköping;medarbetare;\n"
               "b@example.se;Linköping;medarbetare;Skola\x01\n").encode()
    page = upload(admin_client, open_round, content)
    assert page.status_code == 200
    assert page.text.count("osynligt styrtecken") == 2
    assert "a[U+0000]@example.se" in page.text and "Skola[U+0001]" in page.text
    assert 'name="upload"' not in page.text
    assert db_session.scalars(select(Invitation)).all() == []


def test_a_sheet_named_for_a_csv_file_is_an_error_not_ignored(
    admin_client, runner, db_session, open_round, tmp_path
):
    """The admin who names a sheet believes a workbook is read; a CSV has none."""
    path = tmp_path / "lista.csv"
    path.write_bytes(b"E-post;Kommun;Grupp\na@example.se;Link\xc3\xb6ping;medarbetare\n")
    result = runner.invoke(args=["recipients", "import", str(path), "--round",
                                 str(open_round.id), "--sheet", "Blad2", "--yes"])
    assert result.exit_code == 1
    assert "CSV file has no sheets" in result.output
    page = admin_client.submit(f"/admin/rounds/{open_round.id}/recipients",
                               {"file": (io.BytesIO(path.read_bytes()), "lista.csv"),
                                "sheet": "Blad2"},
                               content_type="multipart/form-data")
    assert page.status_code == 200 and "CSV-fil har inga blad" in page.text
    assert db_session.scalars(select(Invitation)).all() == []


@pytest.mark.parametrize("address", ["anna", "anna@kommun", "anna kommun.se", "a\x00@b.se"])
def test_user_add_refuses_what_is_not_an_e_mail_address(runner, db_session, address):
    result = runner.invoke(args=["user", "add", address, "--role", "admin",
                                 "--password", PASSWORD_OF])
    assert result.exit_code == 1
    assert "is not an e-mail address" in result.output
    assert db_session.scalars(select(User)).all() == []


def test_a_group_the_questionnaire_does_not_know_is_refused_at_creation(runner, db_session):
    """The default questionnaire shows section A by group: a round of "Politiker" would never
    show elected officials their questions, so it is refused; English labels are fine."""
    result = create_on_the_command_line(runner, "--municipality", "Linköping",
                                        "--group", "Politiker")
    assert result.exit_code == 1 and "Politiker is not one of its groups" in result.output
    assert db_session.scalars(select(Round)).all() == []
    result = create_on_the_command_line(runner, "--municipality", "Linköping",
                                        "--group", "Elected official", "--group", "Staff member")
    assert result.exit_code == 0, result.output


HOSTILE = '<meta http-equiv="refresh" content="0;url=https://evil.example/">'


def test_markup_in_an_uploaded_header_or_sheet_name_is_shown_as_text(
    admin_client, db_session, open_round
):
    """An uploaded file's header cells and a sheet name come back in messages: as text, so a
    crafted file cannot redirect the admin or draw a fake login link."""
    csv_page = upload(admin_client, open_round, f"E-post;{HOSTILE};Grupp\na@b.se;x;y\n".encode())
    workbook = io.BytesIO()
    with pd.ExcelWriter(workbook, engine="xlsxwriter") as writer:
        pd.DataFrame({"E-post": ["a@b.se"], "Kommun": ["Linköping"],
                      "Grupp": ["medarbetare"]}).to_excel(writer, sheet_name="Blad1",
                                                         index=False)
    sheet_page = admin_client.submit(
        f"/admin/rounds/{open_round.id}/recipients",
        {"file": (io.BytesIO(workbook.getvalue()), "lista.xlsx"), "sheet": f"<b>{HOSTILE}"},
        content_type="multipart/form-data")
    for page in (csv_page, sheet_page):
        assert page.status_code == 200
        assert "<meta http-equiv" not in page.text and "<b>" not in page.text
        assert "&lt;meta http-equiv=" in page.text
    assert db_session.scalars(select(Invitation)).all() == []


def test_markup_in_an_address_is_shown_as_text(admin_client, db_session, open_round):
    page = admin_client.submit("/admin/rounds/new", {**NEW_ROUND, "title": f"x {HOSTILE}",
                                                     "municipalities": f"<i>{HOSTILE}"})
    assert "<meta http-equiv" not in page.text and "<i>" not in page.text


@pytest.mark.parametrize("title", ["Påverkan\n2026", "Påverkan\r\nBcc: x@evil.example",
                                   "Påverkan\x1b[31m"])
def test_a_title_the_web_form_refuses_is_refused_on_the_command_line_too(
    runner, db_session, title
):
    """A line break in a title broke the Subject of every invitation: the send stopped
    half way through the list."""
    result = runner.invoke(args=["round", "create", "--title", title, "--year", "2025",
                                 "--opens", "2026-03-02", "--closes", "2026-03-30",
                                 "--municipality", "Linköping"])
    assert result.exit_code == 1
    assert "must be one line" in result.output and "[U+00" in result.output
    assert db_session.scalars(select(Round)).all() == []


def test_a_crafted_request_cannot_put_a_line_break_in_a_title(admin_client, db_session):
    page = admin_client.submit("/admin/rounds/new", {**NEW_ROUND, "title": "Påverkan\n2026"})
    assert page.status_code == 200 and "måste vara en rad" in page.text
    assert db_session.scalars(select(Round)).all() == []


def test_an_xlsx_declaring_a_million_rows_is_a_message_not_a_killed_worker(
    admin_client, db_session, open_round
):
    workbook = Workbook()
    workbook.active.append(["E-post", "Kommun", "Grupp"])
    workbook.active.cell(row=1_048_576, column=3, value="x")
    buffer = io.BytesIO()
    workbook.save(buffer)
    page = upload(admin_client, open_round, buffer.getvalue(), "lista.xlsx")
    assert page.status_code == 200
    assert "fler än 500 000 celler" in page.text
    assert db_session.scalars(select(Invitation)).all() == []
