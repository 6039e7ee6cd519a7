"""A client whose request body never arrives (a phone in a tunnel, or someone trying) must not
hold SQLite's write lock: the other respondents keep answering meanwhile."""

from __future__ import annotations

import re
import socket
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

from tests.survey.served import environment, gunicorn, open_round
from tests.survey.walk import fill

SECRET = "a-secret-for-the-slow-client-test-" + "x" * 16


class Respondent:
    """A browser following one link, timing every request."""

    def __init__(self, base: str, token: str) -> None:
        self.base, self.token = base, token
        self.jar = CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))
        self.slowest = 0.0

    def open(self, path: str, form: dict | None = None):
        data = urllib.parse.urlencode(form, doseq=True).encode() if form is not None else None
        started = time.monotonic()
        with self.opener.open(self.base + path, data=data, timeout=60) as response:
            page = response.read().decode(), urllib.parse.urlsplit(response.url).path
        self.slowest = max(self.slowest, time.monotonic() - started)
        return page

    def begin(self) -> tuple[str, str]:
        """Open the link and start: the first question page and its address."""
        start, _ = self.open(f"/s/{self.token}")
        return self.open(f"/s/{self.token}", {"csrf_token": csrf(start)})

    def cookie(self) -> str:
        return next(f"{c.name}={c.value}" for c in self.jar)


def csrf(page: str) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)


def test_a_stalled_upload_does_not_delay_another_respondent(tmp_path):
    env = environment(f"sqlite:///{tmp_path / 'paverkan.sqlite3'}", SECRET)
    slow_token, token = open_round(env, tmp_path / "instance", 2)
    with gunicorn(env) as (base, _server):
        slow = Respondent(base, slow_token)
        _, address = slow.begin()
        with socket.create_connection(("127.0.0.1", int(base.rsplit(":", 1)[1]))) as stalled:
            stalled.sendall(
                f"POST {address} HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: {slow.cookie()}\r\n"
                "Content-Type: application/x-www-form-urlencoded\r\n"
                "Content-Length: 5000\r\n\r\ncsrf_token=".encode()
            )
            time.sleep(1)  # the worker that took it now waits for the rest of the body

            other = Respondent(base, token)
            page, address = other.begin()
            for _ in range(3):
                page, address = other.open(address, {**fill(page), "csrf_token": csrf(page)})
            assert address.startswith("/svar/sida/"), "three pages answered and saved"
        assert other.slowest < 1.0, f"a request took {other.slowest:.1f} s"
