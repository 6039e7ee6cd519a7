"""Production shape, end to end: an administrator sets a round up with the `paverkan` command
alone, gunicorn serves it, and a respondent follows the mailed link — while gunicorn's own
output carries neither the link nor the client's address."""

from __future__ import annotations

import datetime as dt
import email
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from email import policy
from http.cookiejar import CookieJar
from pathlib import Path

BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def paverkan(env: dict[str, str], *arguments: str) -> str:
    result = subprocess.run([str(BIN / "paverkan"), *arguments], env=env, capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def production_env(folder: Path, base: str, **settings: str) -> dict[str, str]:
    """The environment of a production install in `folder` (SQLite, outbox) served at `base`;
    `settings` add PAVERKAN_* variables."""
    env = {
        **os.environ,
        "PAVERKAN_DATABASE_URL": f"sqlite:///{folder / 'paverkan.sqlite3'}",
        "PAVERKAN_SECRET_KEY": "a-secret-for-this-test-only-" + "x" * 20,
        "PAVERKAN_MAIL_URL": f"outbox://{folder / 'outbox'}",
        "PAVERKAN_BASE_URL": base,
        **{f"PAVERKAN_{name}": value for name, value in settings.items()},
    }
    if "INSECURE_COOKIES" not in settings:
        env.pop("PAVERKAN_INSECURE_COOKIES", None)
    return env


def test_gunicorn_serves_a_round_set_up_from_the_command_line(tmp_path):
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    outbox = tmp_path / "outbox"
    env = production_env(tmp_path, base, INSECURE_COOKIES="1")  # plain http on localhost
    today = dt.date.today()
    recipients = tmp_path / "lista.csv"
    recipients.write_text(
        "E-post;Kommun;Grupp\n"
        + "".join(f"p{i}@example.se;{('Linköping', 'Norrköping')[i % 2]};"
                  f"{('förtroendevald', 'medarbetare')[i // 2 % 2]}\n" for i in range(8)),
        encoding="cp1252",
    )
    paverkan(env, "db", "upgrade")
    paverkan(env, "round", "create", "--title", "Påverkan i produktion", "--year", "2025",
             "--opens", today.isoformat(), "--closes", (today + dt.timedelta(days=30)).isoformat(),
             "--municipality", "Linköping", "--municipality", "Norrköping")
    paverkan(env, "recipients", "import", str(recipients), "--round", "1", "--yes")
    paverkan(env, "round", "open", "1")
    paverkan(env, "mail", "invite", "--round", "1")
    mails = sorted(outbox.rglob("*.eml"))
    assert len(mails) == 8
    message = email.message_from_bytes(mails[0].read_bytes(), policy=policy.default)
    link = re.search(rf"{re.escape(base)}/s/[A-Za-z0-9_-]{{43}}",
                     message.get_body(("plain",)).get_content()).group(0)

    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{port}",
         "survey:create_app()"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
    )
    try:
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        for _ in range(100):
            try:
                start = opener.open(link, timeout=5)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("gunicorn did not start")
        page = start.read().decode()
        assert start.headers["Referrer-Policy"] == "same-origin"
        assert "Börja enkäten" in page
        csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
        form = urllib.parse.urlencode({"csrf_token": csrf}).encode()
        first = opener.open(urllib.request.Request(link, data=form, headers={
            "User-Agent": "TellTaleBrowser/1.0"}), timeout=5)
        assert "/s/" not in first.url, "the token was traded for a session"
        assert "<form" in first.read().decode()
    finally:
        server.terminate()
        output, _ = server.communicate(timeout=30)
    token = link.rsplit("/", 1)[1]
    for secret in (token, "127.0.0.1 ", "TellTaleBrowser"):
        assert secret not in output
