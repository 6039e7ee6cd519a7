"""The close as production meets it: gunicorn serves, respondents submit while the admin
closes, and a worker may be killed in the middle. Every answer a respondent was thanked for
is a response afterwards, and a close that was cut off is finished by pressing it again."""

from __future__ import annotations

import contextlib
import sqlite3
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy import create_engine, text

from tests.admin.live import Respondent, admin, csrf, prepare, serving, until_done
from tests.conftest import postgres_database, require

DATABASES = ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]


@contextlib.contextmanager
def _database(request, tmp_path: Path, kind: str):
    if kind == "sqlite":
        folder = tmp_path / "data"
        folder.mkdir()
        yield f"sqlite:///{folder / 'paverkan.sqlite3'}"
        return
    require(request.config, "postgres")
    with postgres_database("jobs_close") as url:
        yield url


def _count(url: str, table: str) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as connection:
            return connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()
    finally:
        engine.dispose()


@pytest.mark.parametrize("kind", DATABASES)
def test_a_close_during_100_submits_keeps_every_answer_a_respondent_was_thanked_for(
    request, tmp_path, kind
):
    with _database(request, tmp_path, kind) as url:
        links = prepare(url, tmp_path / "instance", 100)
        with serving(url, tmp_path / "instance", PAVERKAN_SCRUB_WAIT_SECONDS="5") as server:
            staff = admin(server.base)
            _, _, page = staff.get("/admin/rounds/1/close")
            close = {"understood": "y", "csrf_token": csrf(page)}
            with ThreadPoolExecutor(100) as pool:
                respondents = list(pool.map(lambda link: Respondent(server.base, link), links))
                # One "Skicka" every 50 ms; the admin closes once 20 have been thanked, and
                # the second half keeps coming while the close runs.
                submits = [pool.submit(r.submit, i * 0.05) for i, r in enumerate(respondents[:50])]
                while sum(s.done() for s in submits) < 20:
                    time.sleep(0.005)
                _, where, _ = staff.send("/admin/rounds/1/close", close)
                assert "/admin/jobs/" in where, where
                submits += [pool.submit(r.submit, i * 0.05)
                            for i, r in enumerate(respondents[50:95])]
                outcome = until_done(staff, urlsplit(where).path)
                results = [s.result() for s in submits]
                # Writers take SQLite's lock in no fair order, so on an idle machine the close
                # may wait until the stream of submits ends; the last five come after it (their
                # sessions ended with the round, or the round is closed when they arrive).
                late = [r.submit(0) for r in respondents[95:]]
        assert "Omgången är stängd och adresserna är raderade." in outcome
        assert "acknowledged" in results, results
        # Told that the survey closed, also those whose session the close ended.
        assert set(late) <= {"told closed", "closed the session"}, "no thanks after the close"
        results += late
        assert set(results) <= {"acknowledged", "told closed", "closed the session"}, results
        thanked = results.count("acknowledged")
        assert _count(url, "responses") == thanked
        assert _count(url, "submission_pool") == 0, "nothing stranded in the pool"
        assert _count(url, "invitations") == 0


def test_a_close_killed_during_its_scrub_is_finished_by_pressing_close_again(tmp_path):
    """SQLite: a reader that stays open holds the close in its last checkpoint; gunicorn is
    killed there, after the close committed and before the erased values left the files."""
    folder = tmp_path / "data"
    folder.mkdir()
    database = folder / "paverkan.sqlite3"
    url = f"sqlite:///{database}"
    instance = tmp_path / "instance"
    prepare(url, instance, 1000)
    reader = sqlite3.connect(database, isolation_level=None)
    reader.execute("BEGIN")
    reader.execute("SELECT count(*) FROM invitations").fetchone()
    with serving(url, instance) as server, ThreadPoolExecutor(1) as background:
        staff = admin(server.base)
        background.submit(staff.post, "/admin/rounds/1/close", {"understood": "y"})
        watcher = sqlite3.connect(database, isolation_level=None)
        deadline = time.monotonic() + 60
        while watcher.execute("SELECT state FROM rounds").fetchone()[0] != "closed":
            assert time.monotonic() < deadline, "the close did not commit"
            time.sleep(0.05)
        time.sleep(1)  # into the scrub, which waits for the reader
        assert watcher.execute("SELECT state FROM jobs").fetchone()[0] == "running"
        watcher.close()
        server.kill()
    reader.rollback()
    reader.close()
    on_disk = b"".join(p.read_bytes() for p in folder.iterdir())
    assert b"person7@example.se" in on_disk, "killed before the scrub had erased the files"

    with serving(url, instance) as server:
        staff = admin(server.base)
        _, _, page = staff.get("/admin/rounds/1/close")
        assert "raderingen kördes inte till slutet" in page
        _, where, _ = staff.post("/admin/rounds/1/close", {"understood": "y"})
        assert "/admin/jobs/" in where, where
        outcome = until_done(staff, urlsplit(where).path)
        assert "raderingen har körts igen till slutet" in outcome
    for path in folder.iterdir():
        content = path.read_bytes()
        leaked = [i for i in range(1000) if f"person{i}@example.se".encode() in content]
        assert leaked == [], f"{path.name} still holds {len(leaked)} addresses"
