"""Everything on the microdata page that reads a whole closed round (the masked free text to
check, the codebook, the invited counts) is made by the researcher's job, not in the request:
on a round of 100,000 responses that takes tens of seconds, which a proxy cuts. The page
answers at once with a progress page, then shows the preview or offers the file."""

from __future__ import annotations

import os
import re
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import select

from survey import db, round_data, synthetic
from survey.instrument import context, questionnaire_of
from survey.jobs.models import Job
from survey.results import export_job
from survey.results.models import ExportRecord
from tests.conftest import RoundFactory
from tests.exports.test_microdata_export import (  # noqa: F401  (fixture)
    STORY,
    hidden_fields,
    round_with_text,
)
from tests.results.conftest import TWO_MUNICIPALITIES, add_responses, served_round

RESEARCHER = "forskare@universitet.example.se"


class SlowRound:
    """Reading the round waits until the test lets it go, as a large round keeps its job
    busy; it remembers which threads read it (a request runs in the test's own thread)."""

    def __init__(self, monkeypatch) -> None:
        self.go = threading.Event()
        self.readers: list[str] = []
        read = round_data.read

        def slow_read(*args, **kwargs):
            self.readers.append(threading.current_thread().name)
            assert self.go.wait(30), "the round was read in the request, which then waited"
            return read(*args, **kwargs)

        monkeypatch.setattr(round_data, "read", slow_read)


@pytest.fixture
def threaded(tmp_path):
    """An app as in production: a job runs in a thread of its own while the request returns;
    a closed round of 530 responses, some with a story in free text, and a researcher."""
    def answers_for(round_):
        def given(rng, municipality, group, number):
            answers = synthetic.answers(questionnaire_of(round_), rng, context(group))
            if municipality == "Linköping" and number % 10 == 0:
                answers["f1"] = STORY  # kept where F1 was asked, as in round_with_text
            return answers
        return given

    app, client, round_id = served_round(tmp_path, "prepared.sqlite3", RESEARCHER, "researcher",
                                         answers_for=answers_for, title="Otillåten påverkan 2025",
                                         JOB_LEASE_SECONDS=1.0)
    yield app, client, round_id
    db.database(app).engine.dispose()


def _when_done(client, page_url: str, seconds: float = 60) -> str:
    """The job's page once it no longer reloads itself, as its reloads would find it."""
    deadline = time.monotonic() + seconds
    while "Refresh" in (page := client.get(page_url)).headers:
        assert time.monotonic() < deadline, page.text
        time.sleep(0.2)
    return page.text


def _started(response) -> str:
    assert response.status_code == 302, response.text
    assert re.fullmatch(r"/resultat/mikrodata/export/\d+", response.location), response.location
    return response.location


def test_a_researcher_checking_the_free_text_of_a_large_round_sees_progress_then_the_preview(
        threaded, monkeypatch):
    app, client, round_id = threaded
    slow = SlowRound(monkeypatch)
    page_url = _started(client.submit("/resultat/mikrodata", {
        "round": round_id, "file_format": "csv", "lang": "sv", "free_text": "y",
        "names": "Zlatan"}))
    waiting = client.get(page_url)
    assert waiting.status_code == 200 and waiting.headers["Refresh"] == "3"
    assert "Granska den maskerade fritexten" in waiting.text and "Pågår" in waiting.text
    slow.go.set()
    preview = _when_done(client, page_url)
    assert "[personnummer]" in preview and "Karin" not in preview
    assert "Ladda ner filen med maskerad fritext" in preview
    assert all(name.startswith("job-") for name in slow.readers), slow.readers

    export_url = _started(client.submit("/resultat/mikrodata", hidden_fields(preview),
                                        form_page=page_url))
    assert "Filen är klar" in _when_done(client, export_url)
    with client.get(f"{export_url}/fil") as download:
        text = download.data.decode("utf-8-sig")
    assert "[namn]" in text and "Karin" not in text and "070-123" not in text
    assert all(name.startswith("job-") for name in slow.readers), slow.readers


@pytest.mark.parametrize("asked,file_name,starts", [
    ({"format": "xlsx"}, "kodbok-omgang-{}.xlsx", b"PK"),
    ({"format": "md", "lang": "en"}, "codebook-round-{}.md", b"# "),
])
def test_the_codebook_of_a_large_round_is_made_by_a_job_the_page_follows(
        threaded, monkeypatch, asked, file_name, starts):
    app, client, round_id = threaded
    slow = SlowRound(monkeypatch)
    page_url = _started(client.submit(f"/resultat/mikrodata/{round_id}/kodbok", asked,
                                      form_page="/resultat/mikrodata"))
    assert "Pågår" in client.get(page_url).text
    slow.go.set()
    assert "Kodboken är klar" in _when_done(client, page_url)
    with client.get(f"{page_url}/fil") as download:
        assert download.headers["Content-Disposition"] == (
            f"attachment; filename={file_name.format(round_id)}")
        assert download.data.startswith(starts)
    assert all(name.startswith("job-") for name in slow.readers), slow.readers


def test_the_invited_counts_are_made_by_a_job_and_leave_out_small_strata_as_the_file_does(
        app, client, login, db_session):
    strata = {**TWO_MUNICIPALITIES, ("Norrköping", "förtroendevald"): (80, 3)}
    round_ = RoundFactory(state="closed", link_salt=None)
    add_responses(db_session, round_, strata)
    login(client, "researcher", RESEARCHER)
    page_url = _started(client.submit(f"/resultat/mikrodata/{round_.id}/inbjudna.csv",
                                      form_page="/resultat/mikrodata"))
    page = client.get(page_url).text
    assert "Antal inbjudna: " in page and "Antalet inbjudna är klart." in page
    job = db_session.scalars(select(Job)).one()
    with app.app_context():
        assert export_job.file_of(job).stat().st_mode & 0o777 == 0o600
    with client.get(f"{page_url}/fil") as download:
        assert download.headers["Content-Disposition"] == (
            f"attachment; filename=inbjudna-omgang-{round_.id}.csv")
        rows = download.data.decode("utf-8-sig").split("\r\n")
    assert rows[0] == "municipality;group;invited"
    assert "Linköping;medarbetare;400" in rows
    assert not [row for row in rows if row.startswith("Norrköping;förtroendevald")]
    assert db_session.query(ExportRecord).count() == 0, "no microdata left the system"
    assert client.submit(f"{page_url}/radera", form_page=page_url).location == page_url
    assert list((Path(app.instance_path) / "exports").iterdir()) == [], "deleted by its owner"


def test_asking_for_the_codebook_keeps_the_microdata_file_waiting(
        app, client, login, db_session, round_with_text):  # noqa: F811
    login(client, "researcher", RESEARCHER)
    export_url = _started(client.submit("/resultat/mikrodata", {
        "round": round_with_text.id, "file_format": "sav", "lang": "sv"}))
    codebook_url = _started(client.submit(f"/resultat/mikrodata/{round_with_text.id}/kodbok",
                                          {"format": "xlsx"}, form_page="/resultat/mikrodata"))
    assert codebook_url != export_url
    assert "Ladda ner filen (SPSS)" in client.get(export_url).text
    assert "Ladda ner filen (Excel)" in client.get(codebook_url).text
    again = _started(client.submit(f"/resultat/mikrodata/{round_with_text.id}/kodbok",
                                   {"format": "xlsx"}, form_page="/resultat/mikrodata"))
    assert "Filen finns inte längre kvar" in client.get(codebook_url).text, "one copy waits"
    assert "Ladda ner filen (Excel)" in client.get(again).text
    assert "Ladda ner filen (SPSS)" in client.get(export_url).text


def test_only_the_researcher_who_asked_sees_the_preview_and_it_expires(
        app, client, login, db_session, round_with_text):  # noqa: F811
    login(client, "researcher", RESEARCHER)
    page_url = _started(client.submit("/resultat/mikrodata", {
        "round": round_with_text.id, "file_format": "csv", "lang": "sv", "free_text": "y",
        "names": "Zlatan"}))
    assert "[personnummer]" in client.get(page_url).text
    (kept,) = (Path(app.instance_path) / "exports").iterdir()
    assert kept.stat().st_mode & 0o777 == 0o600 and "Zlatan" not in str(
        db_session.scalars(select(Job)).one().arguments)
    client.post("/logout")
    login(client, "researcher", "annan@universitet.example.se")
    assert client.get(page_url).status_code == 404
    client.post("/logout")
    login(client, "researcher", RESEARCHER)
    day_ago = time.time() - 25 * 3600
    os.utime(kept, (day_ago, day_ago))
    expired = client.get(page_url).text
    assert "Den maskerade fritexten finns inte längre kvar" in expired
    assert "[personnummer]" not in expired
