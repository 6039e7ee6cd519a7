"""A round served by gunicorn as in production, for the tests that need real worker processes
and for ``bench/respondent.py``."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

from tests.survey.test_gunicorn import BIN, free_port

MUNICIPALITIES = ["Linköping", "Norrköping"]
GROUPS = ["förtroendevald", "medarbetare"]


def environment(database_url: str, secret: str, **settings: str) -> dict[str, str]:
    """The environment gunicorn serves the app with (plain http on localhost)."""
    return {
        **os.environ,
        "PAVERKAN_DATABASE_URL": database_url,
        "PAVERKAN_SECRET_KEY": secret,
        "PAVERKAN_INSECURE_COOKIES": "1",
        **settings,
    }


def open_round(env: dict[str, str], instance: Path, invitations: int) -> list[str]:
    """Migrate the database of ``env``, open a round of the default questionnaire with
    ``invitations`` recipients spread over both municipalities and groups; their link tokens."""
    from survey import create_app, db, migrate, tokens
    from survey.admin import operations as admin
    from survey.models import Invitation

    app = create_app({"INSTANCE_PATH": str(instance),
                      "DATABASE_URL": env["PAVERKAN_DATABASE_URL"],
                      "SECRET_KEY": env["PAVERKAN_SECRET_KEY"]})
    migrate.upgrade(db.database(app).engine)
    today = dt.date.today()
    with app.app_context():
        session = db.session()
        round_ = admin.create_round(
            session, title="Otillåten påverkan", reference_year=today.year - 1, opens_on=today,
            closes_on=today + dt.timedelta(days=30), municipalities=MUNICIPALITIES,
            groups=GROUPS)
        admin.open_round(session, round_)
        people = [Invitation(round_id=round_.id, email=f"p{n}@example.se",
                             municipality=MUNICIPALITIES[n % 2], group=GROUPS[n // 2 % 2])
                  for n in range(invitations)]
        session.add_all(people)
        session.flush()
        links = [tokens.assign_token(person) for person in people]
        session.commit()
    db.database(app).engine.dispose()
    return links


@contextlib.contextmanager
def gunicorn(env: dict[str, str], app: str = "survey:create_app()", workers: int = 2,
             probe: str = "/") -> Iterator[tuple[str, subprocess.Popen]]:
    """gunicorn serving ``app``; yields its base URL and the master process once it answers."""
    port = free_port()
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", str(workers), "--bind", f"127.0.0.1:{port}", app],
        env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(300):
            try:
                urllib.request.urlopen(base + probe, timeout=5).close()
                break
            except urllib.error.HTTPError as answered:
                answered.close()
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        yield base, server
    finally:
        server.terminate()
        server.wait(timeout=30)


def worker_pids(master: subprocess.Popen, workers: int = 2) -> list[int]:
    """gunicorn's worker processes (the master's children), once all ``workers`` run: the
    first one answers before the master has forked the others, and CPU time read from too
    few workers counts only the requests they happened to serve."""
    for _ in range(300):
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError):
                fields = stat.read_text().rsplit(")", 1)[1].split()
                if int(fields[1]) == master.pid:
                    pids.append(int(stat.parent.name))
        if len(pids) >= workers:
            return sorted(pids)
        time.sleep(0.1)
    raise AssertionError(f"gunicorn runs {len(pids)} workers, not {workers}")
