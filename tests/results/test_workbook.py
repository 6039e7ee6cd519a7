"""The report workbook holds the pages' figures, as numbers, and opens in LibreOffice."""

from __future__ import annotations

import io
import shutil
import subprocess

import openpyxl
import pytest

from questionnaires import tidy
from questionnaires.model import VariableKind
from survey.instrument import questionnaire_of
from tests.conftest import RoundFactory
from tests.results.conftest import TWO_MUNICIPALITIES, add_responses, statistics_of


def same(values):
    """XlsxWriter stores 16 significant digits: equal to the 15th."""
    return pytest.approx(values, rel=1e-14)


def _rows(sheet):
    return [list(r) for r in sheet.iter_rows(values_only=True)]


def test_the_workbook_from_the_command_line_holds_every_published_figure(
        app, runner, db_session, closed_round, tmp_path):
    target = tmp_path / "rapport.xlsx"
    result = runner.invoke(args=["export", "report", "--round", str(closed_round.id),
                                 "--out", str(target)])
    assert result.exit_code == 0, result.output
    figures = statistics_of(db_session, closed_round)
    book = openpyxl.load_workbook(target)
    assert book.sheetnames[:2] == ["Sammanfattning", "Svarsfrekvens"]
    assert {"Jämförelser", "Metod", "Hot under 2025"} <= set(book.sheetnames)

    summary = _rows(book["Sammanfattning"])
    assert summary[0][:7] == ["Indikator", "Kommun", "Grupp", "Antal svar", "Andel",
                              "Nedre 95 %", "Övre 95 %"]
    cells = figures["items"]["exposed_any"]["cells"]
    for row, cell in zip(summary[1:5], cells, strict=True):
        assert row[1:3] == [cell["municipality"], cell["group"]]
        assert row[3:7] == same([cell[k] for k in ("n", "share", "wilson_lower",
                                                   "wilson_upper")])
    weighted = figures["items"]["exposed_any"]["weighted"][0]
    assert summary[5][7] == same(weighted[weighted["default"]]["share"])
    assert book["Sammanfattning"]["E2"].number_format == "0.0%"
    assert book["Sammanfattning"].freeze_panes == "A2"
    assert book["Sammanfattning"]._charts, "a native chart"

    rates = _rows(book["Svarsfrekvens"])
    for row, stratum in zip(rates[1:5], figures["response_rates"]["by_stratum"], strict=True):
        assert row[:2] == [stratum["municipality"], stratum["group"]]
        assert row[2:] == same([stratum[k] for k in ("invited", "responded", "response_rate")])

    comparison = figures["items"]["d2_ja"]["comparisons"][0]["difference"]
    row = next(r for r in _rows(book["Jämförelser"])[1:] if r[0].startswith("Låtit bli"))
    assert row[3:10] == same([comparison[k] for k in ("share_first", "share_second", "difference",
                                                 "newcombe_lower", "newcombe_upper",
                                                 "fisher_p", "chisq_p")])
    threats = figures["items"]["b5_ja"]["cells"][0]
    row = next(r for r in _rows(book["Hot under 2025"])[1:] if r[0].endswith("– Ja")
               or r[1] == threats["municipality"])
    assert row[3:7] == same([threats[k] for k in ("n", "share", "wilson_lower",
                                                  "wilson_upper")])


def test_a_small_stratum_is_a_dash_in_the_workbook_and_no_text_becomes_a_formula(
        app, db_session, tmp_path):
    from survey.results import workbook

    round_ = RoundFactory(state="closed", link_salt=None, title="=HYPERLINK(\"x\")")
    add_responses(db_session, round_, {**TWO_MUNICIPALITIES,
                                       ("Norrköping", "förtroendevald"): (40, 3)})
    target = tmp_path / "rapport.xlsx"
    with app.app_context():
        workbook.write(db_session, round_, str(target))
    book = openpyxl.load_workbook(target)
    for sheet in book:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"
    rates = _rows(book["Svarsfrekvens"])
    small = next(r for r in rates if r[:2] == ["Norrköping", "förtroendevald"])
    assert small[2:] == ["–", "–", "–"]
    summary = _rows(book["Sammanfattning"])
    assert ["Norrköping", "förtroendevald", "–", "–", "–", "–"] in [r[1:7] for r in summary]
    assert any(str(v).startswith("– = färre än 5 svar") for r in summary for v in r if v)
    assert book["Metod"]["B3"].value == "=HYPERLINK(\"x\")"


def test_libreoffice_converts_the_workbook_without_complaint(app, db_session, closed_round,
                                                            tmp_path):
    from survey.results import workbook

    soffice = shutil.which("soffice")
    if soffice is None:
        pytest.skip("LibreOffice is not installed (scripts/install-test-tools.sh)")
    target = tmp_path / "rapport.xlsx"
    with app.app_context():
        workbook.write(db_session, closed_round, str(target))
    result = subprocess.run([soffice, "--headless", f"-env:UserInstallation=file://{tmp_path}/lo",
                             "--convert-to", "pdf", "--outdir", str(tmp_path), str(target)],
                            capture_output=True, text=True, timeout=180)
    assert result.returncode == 0, result.stderr
    pdf = tmp_path / "rapport.pdf"
    assert pdf.exists() and pdf.read_bytes().startswith(b"%PDF")
    assert "Error" not in result.stderr


def _download(client, round_, lang: str) -> openpyxl.Workbook:
    response = client.get(f"/resultat/rapport.xlsx?round={round_.id}&lang={lang}")
    assert response.status_code == 200
    return openpyxl.load_workbook(io.BytesIO(response.data))


def _figures(book) -> list[list]:
    """Every cell's number, "–" where a figure is withheld, and "text" for any other text:
    what must not depend on the reader's language."""
    return [[("text" if isinstance(v, str) and v != "–" else v) for v in row]
            for sheet in book for row in sheet.iter_rows(values_only=True)]


def test_a_chief_reading_in_english_downloads_the_workbook_in_english_with_the_same_figures(
        client, login, db_session):
    round_ = RoundFactory(state="closed", link_salt=None, title="=HYPERLINK(\"x\")")
    add_responses(db_session, round_, {**TWO_MUNICIPALITIES,
                                       ("Norrköping", "förtroendevald"): (40, 3)})
    questionnaire = questionnaire_of(round_)
    login(client, "chief")
    swedish, english = _download(client, round_, "sv"), _download(client, round_, "en")

    assert swedish.sheetnames[:2] == ["Sammanfattning", "Svarsfrekvens"]
    assert {"Hot under 2025", "Jämförelser", "Metod"} <= set(swedish.sheetnames)
    assert english.sheetnames[:2] == ["Summary", "Response rate"]
    assert {"Threats in 2025", "Comparisons", "Method"} <= set(english.sheetnames)
    assert "Hot under 2025" not in english.sheetnames
    assert _figures(swedish) == _figures(english), "the same figures in the same cells"

    summary = _rows(english["Summary"])
    assert summary[0][:7] == ["Indicator", "Municipality", "Group", "Number of responses",
                              "Share", "Lower 95 %", "Upper 95 %"]
    assert summary[1][0] == "Exposed to any form of harassment, threats, violence or damage"
    assert ["Norrköping", "förtroendevald", "–", "–", "–", "–"] in [r[1:7] for r in summary]
    assert ["Linköping", "all"] in [r[1:3] for r in summary]
    assert any(str(v).startswith("– = fewer than 5 responses") for r in summary for v in r if v)
    rates = _rows(english["Response rate"])
    assert rates[0] == ["Municipality", "Group", "Invited", "Responses", "Response rate"]
    small = next(r for r in rates if r[:2] == ["Norrköping", "förtroendevald"])
    assert small[3:] == ["–", "–"]
    assert _rows(swedish["Svarsfrekvens"])[rates.index(small)][3:] == ["–", "–"]

    threats = [r[0] for r in _rows(english["Threats in 2025"])]
    b5 = next(i for i in tidy.indicators(questionnaire) if i.name == "b5_ja")
    assert b5.label.en.replace("{year}", "2025") in threats
    assert b5.label.sv.replace("{year}", "2025") in [r[0] for r in _rows(swedish["Hot under 2025"])]
    ordinal = next(v for p in questionnaire.pages if p.id == "exposure_threats"
                   for q in p.questions for v in q.variables if v.kind is VariableKind.ORDINAL)
    levels = [o.label.en for o in ordinal.options if o.substantive]
    assert any(r[4:4 + len(levels)] == levels for r in _rows(english["Threats in 2025"]))

    method = _rows(english["Method"])
    assert method[0][0] == "Method and definitions"
    assert method[2] == ["Round", "=HYPERLINK(\"x\")"]
    definitions = {r[0]: r[1] for r in method if r and r[0] and r[1]}
    exposed = next(d for d in questionnaire.derived if d.name == "exposed_any")
    assert definitions[summary[1][0]].startswith(exposed.label.en)
    assert _rows(english["Comparisons"])[0][:3] == ["Indicator", "Municipality",
                                                   "Compared with"]
    words = {v for sheet in english for row in sheet.iter_rows(values_only=True)
             for v in row if isinstance(v, str)}
    assert not {"alla", "Kommun", "Andel", "Indikator", "Metod och definitioner"} & words
    for book in (swedish, english):
        assert not [c for sheet in book for row in sheet.iter_rows() for c in row
                    if c.data_type == "f"], "no text became a formula"


def test_a_chief_reading_in_english_saves_the_workbook_under_an_english_name(
        client, login, db_session):
    round_ = RoundFactory(state="closed", link_salt=None, title="Påverkan 2026")
    add_responses(db_session, round_, TWO_MUNICIPALITIES)
    login(client, "chief")
    names = {}
    for lang in ("sv", "en"):
        response = client.get(f"/resultat/rapport.xlsx?round={round_.id}&lang={lang}")
        assert response.status_code == 200
        names[lang] = response.headers["Content-Disposition"]
        assert names[lang].isascii()
    year = round_.reference_year
    assert names == {"sv": f"attachment; filename=paverkan-rapport-{year}-{round_.id}.xlsx",
                     "en": f"attachment; filename=paverkan-report-{year}-{round_.id}.xlsx"}


def test_a_file_name_with_letters_beyond_ascii_reaches_the_browser_whole(app):
    """Should a language's name for the report need them: RFC 6266's filename* (UTF-8) next
    to an ASCII filename for browsers that read only that."""
    from flask import send_file

    with app.test_request_context():
        response = send_file(io.BytesIO(b"PK"), as_attachment=True,
                             download_name="påverkan-rapport-2026.xlsx")
    assert response.headers["Content-Disposition"] == (
        "attachment; filename=paverkan-rapport-2026.xlsx; "
        "filename*=UTF-8''p%C3%A5verkan-rapport-2026.xlsx")
