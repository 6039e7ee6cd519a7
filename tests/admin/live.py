"""A round served by real processes for the concurrency and crash tests: the round is set up
in this process with the operations, gunicorn serves it, and respondents and the admin are
plain HTTP clients (each with its own cookies) in threads of the test."""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from http.cookiejar import CookieJar
from pathlib import Path

from sqlalchemy import select

from survey import db, migrate, tokens
from survey.admin import operations
from survey.auth import operations as accounts
from survey.models import Invitation
from tests.admin.conftest import recipient_csv
from tests.conftest import make_test_app

BIN = Path(sys.executable).parent
SECRET = "a-secret-for-the-live-tests-only-" + "y" * 20
ADMIN = ("sakerhet@linkoping.se", "ett långt och ovanligt lösenord 7")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str, instance: Path, recipients: int) -> list[str]:
    """A migrated database with an open round of `recipients` invitations and an admin;
    returns every invitation's link token."""
    app = make_test_app(url, instance, SECRET_KEY=SECRET)
    migrate.upgrade(db.database(app).engine)
    with app.app_context():
        session = db.session()
        round_ = operations.create_round(
            session, title="Omgång", reference_year=2025, opens_on=dt.date.today(),
            closes_on=dt.date.today() + dt.timedelta(days=7),
            municipalities=["Linköping", "Norrköping"], groups=["förtroendevald", "medarbetare"])
        operations.open_round(session, round_)
        report = operations.preview_import(session, round_, recipient_csv(recipients), "l.csv")
        operations.import_recipients(session, round_, report)
        accounts.add_user(session, ADMIN[0], "admin", ADMIN[1])
        links = [tokens.token_for(i) for i in session.scalars(select(Invitation))]
    db.database(app).engine.dispose()
    return links


class Gunicorn:
    """gunicorn serving the app on `url`, as production runs it (a process of its own)."""

    def __init__(self, url: str, instance: Path, **settings: str) -> None:
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.env = {
            **os.environ,
            "PAVERKAN_DATABASE_URL": url,
            "PAVERKAN_SECRET_KEY": SECRET,
            "PAVERKAN_INSECURE_COOKIES": "1",
            "PAVERKAN_BASE_URL": self.base,
            "PAVERKAN_JOB_LEASE_SECONDS": "2",
            **settings,
        }
        self.instance = instance
        self.process: subprocess.Popen | None = None

    def start(self, workers: int = 2, threads: int = 4) -> Gunicorn:
        app = f"survey:create_app({{'INSTANCE_PATH': {str(self.instance)!r}}})"
        self.process = subprocess.Popen(
            [str(BIN / "gunicorn"), "--workers", str(workers), "--threads", str(threads),
             "--bind", f"127.0.0.1:{self.port}", app],
            env=self.env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
            start_new_session=True,
        )
        for _ in range(300):
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", self.port)):
                return self
            time.sleep(0.05)
        raise AssertionError("gunicorn did not start")

    def kill(self) -> None:
        """SIGKILL to gunicorn and its workers: nothing gets to clean up."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.process.stderr.close()

    def stop(self) -> str:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        _, errors = self.process.communicate(timeout=60)
        return errors.decode(errors="replace")


@contextlib.contextmanager
def serving(url: str, instance: Path, **settings: str) -> Iterator[Gunicorn]:
    server = Gunicorn(url, instance, **settings).start()
    try:
        yield server
    finally:
        if server.process.poll() is None:
            print("gunicorn's log (shown when the test fails):", server.stop()[-6000:])


def csrf(page: str) -> str | None:
    """The CSRF token of the page's form, as a browser would send it."""
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page)
    return match.group(1) if match else None


class _Stay(urllib.request.HTTPRedirectHandler):
    """Redirects are not followed: they come back as the answer."""

    def redirect_request(self, *_args):
        return None


class Browser:
    """One visitor: their own cookies; answers are (status, final URL, page)."""

    def __init__(self, base: str) -> None:
        self.base = base
        cookies = urllib.request.HTTPCookieProcessor(CookieJar())
        self.opener = urllib.request.build_opener(cookies)
        self.staying = urllib.request.build_opener(cookies, _Stay())

    def get(self, path: str) -> tuple[int, str, str]:
        return self._open(urllib.request.Request(self.base + path))

    def post(self, path: str, data: dict, form_page: str | None = None) -> tuple[int, str, str]:
        """Load the form's page and send it; the form page's answer when it has no form."""
        status, where, page = self.get(form_page or path)
        token = csrf(page)
        if token is None:
            return status, where, page
        return self.send(path, {**data, "csrf_token": token})

    def send(self, path: str, data: dict, follow: bool = True) -> tuple[int, str, str]:
        """POST the form; with `follow=False` a redirect is the answer (status, Location)."""
        body = urllib.parse.urlencode(data).encode()
        return self._open(urllib.request.Request(self.base + path, data=body), follow)

    def _open(self, request, follow: bool = True) -> tuple[int, str, str]:
        try:
            with (self.opener if follow else self.staying).open(request, timeout=120) as answer:
                return answer.status, answer.url, answer.read().decode()
        except urllib.error.HTTPError as error:
            where = error.headers.get("Location", error.url) if error.code in (302, 303) else (
                error.url)
            return error.code, where, error.read().decode()


def admin(base: str) -> Browser:
    browser = Browser(base)
    status, where, _ = browser.post("/login", {"email": ADMIN[0], "password": ADMIN[1]})
    assert status == 200 and "/login" not in where, (status, where)
    return browser


def until_done(browser: Browser, job_page: str, timeout: float = 120) -> str:
    """The job's page once the job has ended (looking at it takes a dead worker's job over)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        status, _, page = browser.get(job_page)
        assert status == 200, status
        if "auto=0" not in page:  # no "stop updating" or "update now" link: it has ended
            return page
        time.sleep(0.3)
    raise AssertionError(f"{job_page} did not finish")


class Respondent:
    """Someone who opened their link and reached the review page, about to press "Skicka"."""

    def __init__(self, base: str, token: str) -> None:
        self.browser = Browser(base)
        _, where, _ = self.browser.post(f"/s/{token}", {})
        assert where.endswith("/svar/sida/" + where.rsplit("/", 1)[1]), where
        _, _, page = self.browser.get("/svar/granska")
        # What the "Skicka" button sends (its name and value tell a submit from "Back").
        self.form = {"csrf_token": csrf(page), "action": "submit"}

    def submit(self, after: float = 0) -> str:
        """Press "Skicka" `after` seconds: "acknowledged" (the thanks page), "told closed" (the
        round closed before the submit arrived), "closed the session" (the close ended the
        respondent's session first, and the page says so), "session ended" (the page of a
        session that ended otherwise), "already sent" (the page of a repeated submit), or the
        status."""
        time.sleep(after)
        status, where, page = self.browser.send("/svar/granska", self.form, follow=False)
        if status == 302 and where.endswith("/svar/tack"):
            return "acknowledged"
        if status == 302:
            status, where, page = self.browser.get(urllib.parse.urlsplit(where).path)
        if "innan dina svar kom fram" in page:
            return "told closed"
        if "Din session avslutades när enkäten stängdes" in page:
            return "closed the session"
        if status in (400, 403) and ("Din session har avslutats" in page
                                     or "Öppna din länk igen" in page):
            return "session ended"
        if "redan inskickat" in page:
            return "already sent"
        return f"{status} {where}"
