"""A security unit creates a round from its own questionnaire file in the admin pages."""

from __future__ import annotations

import io

from sqlalchemy import select

import questionnaires
from survey.models import Round

FIELDS = {
    "title": "Egen enkät 2026", "reference_year": "2025", "opens_on": "2026-03-02",
    "closes_on": "2026-03-30", "municipalities": "Linköping", "groups": "medarbetare",
    "min_cell_size": "5",
}
DEFAULT_TEXT = questionnaires.DEFAULT_DEFINITION.read_text(encoding="utf-8")


def upload(admin_client, content: bytes, lang: str = "sv", **fields):
    return admin_client.submit(f"/admin/rounds/new?lang={lang}", {
        **FIELDS, **fields, "definition": (io.BytesIO(content), "enkat.yaml")},
        content_type="multipart/form-data")


def test_an_uploaded_questionnaire_becomes_the_rounds_frozen_definition(
    admin_client, runner, db_session, tmp_path
):
    edited = DEFAULT_TEXT.replace("Otillåten påverkan – hot, hat",
                                  "Otillåten påverkan i länet – hot, hat", 1)
    created = upload(admin_client, edited.encode())
    assert created.status_code == 302, created.text
    definition = tmp_path / "enkat.yaml"
    definition.write_text(edited, encoding="utf-8")
    by_command = runner.invoke(args=[
        "round", "create", "--title", "Samma fil", "--year", "2025", "--opens", "2026-03-02",
        "--closes", "2026-03-30", "--municipality", "Linköping", "--definition",
        str(definition)])
    assert by_command.exit_code == 0, by_command.output
    page, command = db_session.scalars(select(Round).order_by(Round.id)).all()
    assert page.fingerprint == command.fingerprint
    assert page.fingerprint != questionnaires.load(questionnaires.DEFAULT_DEFINITION).fingerprint
    assert "i länet" in questionnaires.from_canonical_json(page.definition).title.sv
    without_file = admin_client.submit("/admin/rounds/new", {**FIELDS, "title": "Standard"})
    assert without_file.status_code == 302
    default = db_session.scalars(select(Round).where(Round.title == "Standard")).one()
    assert default.fingerprint == questionnaires.load(
        questionnaires.DEFAULT_DEFINITION).fingerprint


def test_every_problem_of_a_bad_file_is_listed_with_its_line_and_nothing_is_created(
    admin_client, db_session
):
    bad = DEFAULT_TEXT.replace("id: otillaten_paverkan\n",
                               'id: otillaten_paverkan\n"<b>ond</b>": 1\n', 1)
    bad = bad.replace("title:\n  sv:", "title:\n  xx: y\n  sv:", 1)
    page = upload(admin_client, bad.encode(), closes_on="2026-01-01")
    assert page.status_code == 200
    assert ("Rad 7, kolumn 1: okänd nyckel &#39;&lt;b&gt;ond&lt;/b&gt;&#39; i definitionen"
            in page.text)
    assert "<b>ond</b>" not in page.text
    assert "Rad 9, kolumn 3: okänd nyckel &#39;xx&#39; i rubriken (tillåtna: en, sv)" in page.text
    assert "Slutdatumet ligger före startdatumet" in page.text
    english = upload(admin_client, bad.encode(), lang="en").text
    assert "Line 9, column 3: unknown key &#39;xx&#39; in the title (allowed: en, sv)" in english
    assert db_session.scalars(select(Round)).all() == []


def test_files_that_are_not_a_definition_get_a_message_never_a_500(
    app, admin_client, db_session
):
    latin1 = upload(admin_client, "id: x\ntitle:\n  sv: Påverkan\n".encode("latin-1"))
    assert latin1.status_code == 200
    assert "Rad 3, kolumn 8: inte en textfil i UTF-8" in latin1.text
    bomb = "".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9) if i else '1'}]\n"
                   for i in range(12))
    exploded = upload(admin_client, bomb.encode())
    assert exploded.status_code == 200 and "error-summary" in exploded.text
    assert "okänd nyckel &#39;l0&#39;" in exploded.text
    oversized = upload(admin_client, b"# " + b"x" * app.config["MAX_CONTENT_LENGTH"])
    assert oversized.status_code == 413
    assert "En enkätdefinition är en textfil" in oversized.text
    assert db_session.scalars(select(Round)).all() == []
