"""A researcher's microdata export is a job with a page of its own: the file is written
outside the request, kept for its owner alone through as many downloads as they need until
they delete it, export the round again or a day has passed, and a job whose worker died is
finished (and logged) once."""

from __future__ import annotations

import datetime as dt
import os
import re
import time
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from survey import db, jobs
from survey.auth import operations as accounts
from survey.jobs.models import Job
from survey.results import export_job, microdata_export
from survey.results.models import ExportRecord
from tests.admin.conftest import PASSWORD_OF
from tests.exports.conftest import download_when_ready
from tests.exports.test_microdata_export import round_with_text  # noqa: F401  (fixture)
from tests.results.conftest import served_round

FREE_TEXT = {"file_format": "csv", "lang": "sv", "free_text": "y", "names": "Zlatan\nKarin",
             "confirmed": "yes"}


def _start(client, round_, **data):
    started = client.submit("/resultat/mikrodata", {"round": round_.id, **FREE_TEXT, **data})
    assert started.status_code == 302, started.text
    assert re.fullmatch(r"/resultat/mikrodata/export/\d+", started.location), started.location
    return started.location


def _exports(app) -> list[str]:
    return sorted(path.name for path in (Path(app.instance_path) / "exports").iterdir())


def _user(db_session, email: str, role: str):
    return accounts.find_user(db_session, email) or accounts.add_user(
        db_session, email, role, PASSWORD_OF)


def _held_job(db_session, round_, owner, *, lease_minutes: int, **arguments) -> Job:
    """An export a worker holds (lease in the future) or held until it was killed (past)."""
    job = Job(kind="export", round_id=round_.id, owner_id=owner.id, state="running", done=1,
              total=2, locale="sv", lease_owner="some-worker",
              arguments={"file_format": "csv", "lang": "sv", "free_text": False, "names": None,
                         **arguments},
              lease_until=dt.datetime.now(dt.UTC) + dt.timedelta(minutes=lease_minutes))
    db_session.add(job)
    db_session.commit()
    return job


def test_a_researcher_whose_download_was_cut_downloads_the_export_again(
        app, client, login, db_session, round_with_text, tmp_path):  # noqa: F811
    login(client, "researcher", "forskare@universitet.example.se")
    page_url = _start(client, round_with_text)
    page = client.get(page_url)
    assert "Filen är klar: 530 svar" in page.text and "Refresh" not in page.headers
    job = db_session.scalars(select(Job)).one()
    assert job.kind == "export" and "Zlatan" not in str(job.arguments)
    assert _exports(app) == [f"job-{job.id}.csv"], "the names to mask are gone with the job"
    with app.app_context():
        kept = export_job.file_of(job)
    assert kept.stat().st_mode & 0o777 == 0o600
    until = (dt.datetime.fromtimestamp(kept.stat().st_mtime, ZoneInfo("Europe/Stockholm"))
             + dt.timedelta(hours=24))
    assert f"Filen sparas bara för dig till {until.day} " in page.text
    assert f"{until.year}, {until:%H:%M} (svensk tid)" in page.text

    cut = client.get(f"{page_url}/fil", buffered=False)
    first_block = next(iter(cut.response))
    cut.close()  # the connection dropped half way
    assert 0 < len(first_block) < kept.stat().st_size
    assert _exports(app) == [f"job-{job.id}.csv"], "kept through a download"
    with client.get(f"{page_url}/fil") as download:
        assert download.headers["Content-Disposition"] == (
            f"attachment; filename=mikrodata-omgang-{round_with_text.id}.csv")
        assert download.headers["Cache-Control"] == "no-store"
        downloaded = download.data
    with app.app_context():
        microdata_export.export(db_session, round_with_text, who="test", file_format="csv",
                                path=tmp_path / "direct.csv", free_text=True,
                                names=["Zlatan", "Karin"])
    assert downloaded == (tmp_path / "direct.csv").read_bytes()
    assert "Karin" not in downloaded.decode("utf-8-sig")
    assert downloaded.startswith(first_block)
    assert "Ladda ner filen (CSV)" in client.get(page_url).text, "still offered"
    assert [r.who for r in db_session.scalars(select(ExportRecord))].count(
        "forskare@universitet.example.se") == 1, "logged once, when it was made"


def test_the_owner_deletes_the_file_and_a_download_then_says_it_is_gone(
        app, client, login, db_session, round_with_text):  # noqa: F811
    login(client, "researcher", "forskare@universitet.example.se")
    page_url = _start(client, round_with_text, free_text="", names="")
    assert "Radera filen nu" in client.get(page_url).text
    forged = client.post(f"{page_url}/radera")  # another site's form: no CSRF token
    assert forged.status_code == 302 and forged.location.startswith("/login")
    assert len(_exports(app)) == 1, "not deleted"
    login(client, "researcher", "forskare@universitet.example.se")

    deleted = client.submit(f"{page_url}/radera", form_page=page_url)
    assert deleted.status_code == 302 and deleted.location == page_url
    assert _exports(app) == []
    page = client.get(page_url).text
    assert "Filen är raderad." in page and "Filen finns inte längre kvar" in page
    assert "Radera filen nu" not in page and "Ladda ner filen" not in page
    gone = client.get(f"{page_url}/fil")
    assert gone.status_code == 404 and "Filen finns inte längre kvar" in gone.text
    assert "attachment" not in gone.headers.get("Content-Disposition", "")
    english = client.get(f"{page_url}/fil?lang=en")
    assert english.status_code == 404
    assert "The file is no longer kept: it was deleted" in english.text
    again = client.submit(f"{page_url}/radera", form_page="/resultat/mikrodata")
    assert again.status_code == 302, "deleting what is gone is no error"
    assert "The file is deleted." not in client.get(page_url).text


def test_exporting_the_round_again_deletes_the_owners_earlier_file_only(
        app, client, login, db_session, round_with_text):  # noqa: F811
    login(client, "researcher", "annan@universitet.example.se")
    theirs = _start(client, round_with_text, free_text="", names="")
    client.post("/logout")
    login(client, "researcher", "forskare@universitet.example.se")
    first = _start(client, round_with_text, free_text="", names="")
    second = _start(client, round_with_text, free_text="", names="", file_format="dta")
    assert second != first
    first_job, second_job = (int(url.rsplit("/", 1)[1]) for url in (first, second))
    their_job = int(theirs.rsplit("/", 1)[1])
    assert _exports(app) == sorted([f"job-{their_job}.csv", f"job-{second_job}.dta"])
    assert "Filen finns inte längre kvar" in client.get(first).text
    assert client.get(f"{first}/fil").status_code == 404
    with client.get(f"{second}/fil") as download:
        assert download.data.startswith(b"<stata_dta>")


def test_a_running_export_reloads_its_page_and_only_its_owner_sees_it(
        app, client, login, db_session, round_with_text):  # noqa: F811
    owner = _user(db_session, "forskare@universitet.example.se", "researcher")
    running = _held_job(db_session, round_with_text, owner, lease_minutes=5)
    login(client, "researcher", "forskare@universitet.example.se")
    page = client.get(f"/resultat/mikrodata/export/{running.id}")
    assert page.headers["Refresh"] == "3"
    assert "Pågår: 1 av 2 klara." in page.text and '<progress max="2" value="1"' in page.text
    still = client.get(f"/resultat/mikrodata/export/{running.id}?auto=0")
    assert "Refresh" not in still.headers and "Uppdatera nu" in still.text
    assert client.get(f"/resultat/mikrodata/export/{running.id}/fil").status_code == 302

    finished = Job(kind="export", round_id=round_with_text.id, owner_id=owner.id, state="done",
                   done=2, total=2, locale="sv", outcome="Filen är klar.",
                   arguments={"file_format": "csv", "lang": "sv", "free_text": False,
                              "names": None})
    db_session.add(finished)
    db_session.commit()
    with app.app_context():
        export_job.file_of(finished).write_text("data")
    urls = [f"/resultat/mikrodata/export/{job.id}{end}"
            for job in (running, finished) for end in ("", "/fil")]
    for role, email, status in [("chief", None, 403), ("admin", None, 404),
                                ("researcher", "annan@universitet.example.se", 404)]:
        client.post("/logout")
        login(client, role, email)
        assert [client.get(url).status_code for url in urls] == [status] * 4, role
        deletion = client.submit(f"/resultat/mikrodata/export/{finished.id}/radera",
                                 form_page="/")
        assert deletion.status_code == status, role
    assert client.get(f"/admin/jobs/{running.id}").status_code == 403
    client.post("/logout")
    login(client, "admin")
    assert client.get(f"/admin/jobs/{running.id}").status_code == 404, "not an admin's job"
    assert _exports(app) == [f"job-{finished.id}.csv"], "nobody else took the file"


def test_a_double_submit_joins_the_export_under_way_and_another_researcher_gets_their_own(
        app, client, login, db_session, round_with_text):  # noqa: F811
    owner = _user(db_session, "forskare@universitet.example.se", "researcher")
    running = _held_job(db_session, round_with_text, owner, lease_minutes=5, free_text=True)
    login(client, "researcher", "forskare@universitet.example.se")
    assert _start(client, round_with_text) == f"/resultat/mikrodata/export/{running.id}"
    assert _exports(app) == [], "the second submit's names are not kept"
    other_format = client.get(_start(client, round_with_text, file_format="dta")).text
    assert "Din tidigare export av den här omgången pågår fortfarande" in other_format
    client.post("/logout")
    login(client, "researcher", "annan@universitet.example.se")
    theirs = _start(client, round_with_text)
    assert theirs != f"/resultat/mikrodata/export/{running.id}"
    assert "Filen är klar" in client.get(theirs).text
    assert len(db_session.scalars(select(Job)).all()) == 2


@pytest.mark.parametrize("taken_over_by", ["page", "paverkan jobs run"])
def test_an_export_whose_worker_died_is_finished_and_logged_once(
        app, client, runner, login, db_session, round_with_text, taken_over_by):  # noqa: F811
    owner = _user(db_session, "forskare@universitet.example.se", "researcher")
    dead = _held_job(db_session, round_with_text, owner, lease_minutes=-1, file_format="sav")
    with app.app_context():
        (export_job.folder() / f"job-{dead.id}-killed.partial.sav").write_bytes(b"half")
    login(client, "researcher", "forskare@universitet.example.se")
    page_url = f"/resultat/mikrodata/export/{dead.id}"
    if taken_over_by == "page":
        page = client.get(page_url).text
        assert "Filen är klar: 530 svar" in page and "Ladda ner filen (SPSS)" in page
    else:
        result = runner.invoke(args=["jobs", "run"])
        assert result.exit_code == 0 and f"Job {dead.id} (export" in result.output
    with app.app_context():
        assert jobs.run(app, dead.id) is None, "a finished export is not run again"
    with client.get(f"{page_url}/fil") as download:
        assert download.data.startswith(b"$FL2")  # a whole SPSS file, not the killed piece
    assert db_session.scalar(select(ExportRecord.format)) == "sav"
    assert db_session.query(ExportRecord).count() == 1


def test_an_export_that_cannot_finish_says_why_on_its_page(
        app, client, login, db_session, round_with_text):  # noqa: F811
    """A killed export whose names to mask have expired is not written without them."""
    owner = _user(db_session, "forskare@universitet.example.se", "researcher")
    dead = _held_job(db_session, round_with_text, owner, lease_minutes=-1, free_text=True,
                     names="0" * 32)
    login(client, "researcher", "forskare@universitet.example.se")
    page = client.get(f"/resultat/mikrodata/export/{dead.id}")
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert "Namnen som skulle maskeras finns inte längre kvar" in page.text
    assert _exports(app) == [] and db_session.query(ExportRecord).count() == 0


def test_a_file_nobody_downloaded_is_deleted_after_a_day(
        app, client, runner, login, db_session, round_with_text):  # noqa: F811
    login(client, "researcher")
    page_url = _start(client, round_with_text, free_text="", names="")
    (kept,) = (Path(app.instance_path) / "exports").iterdir()
    day_ago = time.time() - 25 * 3600
    os.utime(kept, (day_ago, day_ago))
    assert runner.invoke(args=["jobs", "run"]).exit_code == 0
    assert _exports(app) == []
    assert "Filen finns inte längre kvar" in client.get(page_url).text
    assert client.get(f"{page_url}/fil").status_code == 404


def test_an_expired_file_goes_when_its_owner_next_looks_without_any_cron(
        app, client, login, db_session, round_with_text):  # noqa: F811
    login(client, "researcher")
    page_url = _start(client, round_with_text, free_text="", names="")
    (kept,) = (Path(app.instance_path) / "exports").iterdir()
    day_ago = time.time() - 25 * 3600
    os.utime(kept, (day_ago, day_ago))
    assert client.get(f"{page_url}/fil").status_code == 404
    assert _exports(app) == []


def test_an_export_stopped_by_an_unexpected_error_says_to_send_the_form_again(
        app, client, login, db_session, round_with_text):  # noqa: F811
    """A job an earlier version of the app left without an argument this one needs."""
    owner = _user(db_session, "forskare@universitet.example.se", "researcher")
    dead = _held_job(db_session, round_with_text, owner, lease_minutes=-1)
    dead.arguments = {key: value for key, value in dead.arguments.items() if key != "lang"}
    db_session.commit()
    login(client, "researcher", "forskare@universitet.example.se")
    page = client.get(f"/resultat/mikrodata/export/{dead.id}")
    assert page.status_code == 200 and 'role="alert"' in page.text
    assert ("Exporten avbröts av ett fel. Skicka exportformuläret igen för att skapa filen på "
            "nytt.") in page.text
    assert "Starta det igen" not in page.text
    assert '<a href="/resultat/mikrodata">Till exportformuläret</a>' in page.text
    assert _exports(app) == [] and db_session.query(ExportRecord).count() == 0


def test_outside_the_tests_transaction_the_export_runs_in_a_thread_the_page_follows(tmp_path):
    """As in production: the request returns at once, a thread writes the file."""
    app, client, round_id = served_round(tmp_path, "export.sqlite3",
                                         "forskare@universitet.example.se", "researcher",
                                         JOB_LEASE_SECONDS=1.0)
    client.get("/resultat/mikrodata?lang=en")  # the job speaks the language it was asked in
    page_url = client.submit("/resultat/mikrodata", {"round": round_id, "file_format": "xlsx",
                                                     "lang": "en"}).location
    page, workbook = download_when_ready(client, page_url)
    assert "The file is ready: 530 responses" in page
    assert workbook.startswith(b"PK")  # a whole workbook
    assert "The file is kept for you alone until" in page
    assert len(_exports(app)) == 1, "kept for a second download"
    db.database(app).engine.dispose()
