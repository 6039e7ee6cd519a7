"""A researcher takes a closed round's microdata out from the page or the command line; a
chief cannot; every export is in the admin's log, which holds no answers."""

from __future__ import annotations

import html
import json
import re

import pandas as pd
import pyreadstat
import pytest
from click.testing import CliRunner

from analysis import report
from survey import round_data
from survey.commands.stats import stats
from survey.results.models import ExportRecord
from tests.conftest import RoundFactory
from tests.exports.test_microdata_files import assert_same_figures
from tests.results.conftest import TWO_MUNICIPALITIES, add_responses

STORY = ("Han ringde från 070-123 45 67, visste att jag bor på Storgatan 12 och hade mitt "
         "personnummer 19800101-1234. Karin Johansson såg det.")


@pytest.fixture
def round_with_text(db_session):
    """A closed round; every tenth respondent in Linköping who was asked F1 wrote the same
    story there (``round_.stories`` of them)."""
    from questionnaires.model import NOT_ASKED
    from survey import synthetic
    from survey.instrument import context, questionnaire_of

    round_ = RoundFactory(state="closed", link_salt=None, title="Otillåten påverkan 2025")
    round_.stories = 0

    def answer(rng, municipality, group, number):
        questionnaire = questionnaire_of(round_)
        given = synthetic.answers(questionnaire, rng, context(group))
        asked = questionnaire.classify({**context(group), **given})["f1"] != NOT_ASKED
        if asked and municipality == "Linköping" and number % 10 == 0:
            given["f1"] = STORY
            round_.stories += 1
        return given

    add_responses(db_session, round_, TWO_MUNICIPALITIES, answer=answer)
    assert round_.stories > 5
    return round_


def test_the_cli_export_reproduces_every_figure_of_the_round(app, runner, db_session,
                                                             round_with_text, tmp_path):
    files = {name: tmp_path / name for name in ("data.csv", "invited.csv", "q.json", "kb.md")}
    result = runner.invoke(args=[
        "export", "microdata", "--round", str(round_with_text.id), "--format", "csv",
        "--out", str(files["data.csv"]), "--invited", str(files["invited.csv"]),
        "--definition", str(files["q.json"]), "--codebook", str(files["kb.md"])])
    assert result.exit_code == 0, result.output
    assert "530 responses" in result.output
    assert "Free text" not in result.output
    assert "f1" not in files["data.csv"].read_text(encoding="utf-8-sig").splitlines()[0]

    out = tmp_path / "figures.json"
    computed = CliRunner().invoke(stats, [
        "--responses", str(files["data.csv"]), "--invited", str(files["invited.csv"]),
        "--questionnaire", str(files["q.json"]), "--json", str(out)])
    assert computed.exit_code == 0, computed.output
    with app.app_context():
        expected = report.build(round_data.read(db_session, round_with_text).survey_data(),
                                min_cell=round_with_text.min_cell_size)
    assert_same_figures(json.loads(out.read_text()),
                        json.loads(json.dumps(expected, allow_nan=False)))
    assert round_with_text.fingerprint in files["kb.md"].read_text(encoding="utf-8")


@pytest.mark.parametrize("file_format", ["sav", "dta"])
def test_the_cli_writes_spss_and_stata_with_labels_and_missing_values(
        runner, db_session, round_with_text, tmp_path, file_format):
    path = tmp_path / f"data.{file_format}"
    result = runner.invoke(args=["export", "microdata", "--round", str(round_with_text.id),
                                 "--format", file_format, "--out", str(path), "--lang", "en"])
    assert result.exit_code == 0, result.output
    read = pyreadstat.read_sav if file_format == "sav" else pyreadstat.read_dta
    frame, meta = read(str(path), user_missing=True)
    assert len(frame) == 530
    assert meta.column_names_to_labels["e1"] == "What is your gender?"
    labels = meta.variable_value_labels["a4"]
    assert "Don't know" in labels.values() and "Not asked" in labels.values()
    if file_format == "sav":
        assert meta.missing_ranges["a4"] == [{"lo": -99.0, "hi": -1.0}]
    else:
        assert "a" in set(meta.missing_user_values["c1"])  # asked only of the exposed
        assert (frame["c1"] == "a").sum() > 0


def test_the_cli_masks_free_text_and_prints_the_counts(runner, db_session, round_with_text,
                                                       tmp_path):
    path = tmp_path / "data.csv"
    result = runner.invoke(args=["export", "microdata", "--round", str(round_with_text.id),
                                 "--out", str(path), "--free-text"])
    assert result.exit_code == 0, result.output
    n = round_with_text.stories
    assert (f"Free text: {n} answers, masked: e-mail addresses 0, personal identity numbers "
            f"{n}, coordination numbers 0, phone numbers {n}, postal addresses {n}, names {n}"
            ) in result.output
    frame = pd.read_csv(path, sep=";", encoding="utf-8-sig", dtype=str)
    texts = frame["f1"].dropna()
    assert len(texts) == n and not texts.str.contains("Karin|070-123|Storgatan|19800101").any()


def test_an_open_round_is_not_exported(runner, db_session):
    round_ = RoundFactory(state="open")
    result = runner.invoke(args=["export", "microdata", "--round", str(round_.id)])
    assert result.exit_code == 1
    assert "once the round is closed" in result.output
    assert db_session.query(ExportRecord).count() == 0


@pytest.mark.parametrize("role,status", [("researcher", 200), ("admin", 200), ("chief", 403)])
def test_only_researchers_and_admins_reach_microdata(client, login, round_with_text, role,
                                                      status):
    login(client, role)
    for url in ("/resultat/mikrodata", f"/resultat/mikrodata/{round_with_text.id}/formular.json"):
        assert client.get(url).status_code == status, url
    for url in (f"/resultat/mikrodata/{round_with_text.id}/kodbok",  # an old link: the page
                f"/resultat/mikrodata/{round_with_text.id}/inbjudna.csv"):
        response = client.get(url)
        assert response.status_code == (302 if status == 200 else 403), url
        assert status != 200 or response.location == "/resultat/mikrodata"
    page = client.get("/resultat/").text
    assert ('href="/resultat/mikrodata"' in page) is (role != "chief")
    if role != "chief":
        markdown = made_from_the_page(client, f"/resultat/mikrodata/{round_with_text.id}/kodbok",
                                      {"format": "md", "lang": "en"}, "/resultat/mikrodata")
        assert "attachment" in markdown.headers["Content-Disposition"]
        assert f"Fingerprint: `{round_with_text.fingerprint}`" in markdown.text
    else:
        refused = client.post(f"/resultat/mikrodata/{round_with_text.id}/kodbok",
                              data={"csrf_token": client.csrf_token("/resultat/")})
        assert refused.status_code == 403


def test_anonymous_visitors_are_sent_to_the_login(client, round_with_text):
    response = client.get("/resultat/mikrodata")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def made_from_the_page(client, url: str, data: dict, form_page: str | None = None):
    """Ask for a file with a form, follow its job's page and download the file."""
    started = client.submit(url, data, form_page=form_page)
    assert started.status_code == 302, started.text
    assert re.fullmatch(r"/resultat/mikrodata/export/\d+", started.location), started.location
    page = client.get(started.location)
    assert "Refresh" not in page.headers, page.text
    with client.get(f"{started.location}/fil") as download:
        assert download.status_code == 200, page.text
        download.get_data()  # read before the file closes
        return download


def export_from_the_page(client, data: dict) -> bytes:
    """Submit the microdata form, follow the export's page and download its file."""
    download = made_from_the_page(client, "/resultat/mikrodata", data)
    assert "attachment" in download.headers["Content-Disposition"]
    return download.data


def test_a_researcher_downloads_stata_from_the_page_and_the_admin_sees_it_logged(
        client, login, db_session, round_with_text, tmp_path):
    login(client, "researcher", "forskare@universitet.example.se")
    download = export_from_the_page(client, {
        "round": round_with_text.id, "file_format": "dta", "lang": "sv"})
    (tmp_path / "page.dta").write_bytes(download)
    frame, meta = pyreadstat.read_dta(str(tmp_path / "page.dta"))
    assert len(frame) == 530 and meta.column_names_to_labels["e1"] == "Vilket kön har du?"
    record = db_session.query(ExportRecord).one()
    assert (record.who, record.format, record.free_text) == (
        "forskare@universitet.example.se", "dta", False)
    assert client.get("/admin/exporter").status_code == 403

    client.post("/logout")
    login(client, "admin")
    log = client.get("/admin/exporter").text
    assert "forskare@universitet.example.se" in log and round_with_text.title in log
    assert "Karin" not in log


def hidden_fields(page: str) -> dict[str, str]:
    """The hidden inputs of a page's form, as the browser posts them."""
    return {name: html.unescape(value) for name, value in
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page)}


def test_free_text_is_offered_only_after_the_masked_sample_is_shown(client, login, db_session,
                                                                   round_with_text):
    login(client, "researcher")
    started = client.submit("/resultat/mikrodata", {
        "round": round_with_text.id, "file_format": "csv", "lang": "sv", "free_text": "y",
        "names": "Zlatan"})
    assert started.status_code == 302, "the masking runs as a job, not in the request"
    preview = client.get(started.location)
    assert preview.status_code == 200 and "Refresh" not in preview.headers
    assert "attachment" not in preview.headers.get("Content-Disposition", "")
    page = preview.text
    assert "Granska den maskerade fritexten" in page
    assert "[personnummer]" in page and "Karin" not in page and "070-123" not in page
    assert page.count(f"<td>{round_with_text.stories}</td>") == 4  # number, phone, address, name
    assert client.get(f"{started.location}/fil").status_code == 404, "a preview is no file"
    assert db_session.query(ExportRecord).count() == 0

    confirmed = hidden_fields(page)
    assert confirmed["names"] == "Zlatan" and confirmed["confirmed"] == "yes"
    download = made_from_the_page(client, "/resultat/mikrodata", confirmed,
                                  form_page=started.location)
    text = download.data.decode("utf-8-sig")
    assert "[namn]" in text and "Karin" not in text
    assert db_session.query(ExportRecord).one().free_text
    after = client.get(started.location).text
    assert "Den maskerade fritexten finns inte längre kvar" in after, "gone with the request"
    assert "[personnummer]" not in after


def test_a_researcher_reading_in_english_downloads_the_questionnaire_under_an_english_name(
        client, login, round_with_text):
    login(client, "researcher")
    url = f"/resultat/mikrodata/{round_with_text.id}/formular.json"
    swedish = client.get(url).headers["Content-Disposition"]
    client.get("/resultat/mikrodata?lang=en")
    english = client.get(url).headers["Content-Disposition"]
    assert swedish == f"attachment; filename=formular-omgang-{round_with_text.id}.json"
    assert english == f"attachment; filename=questionnaire-round-{round_with_text.id}.json"
