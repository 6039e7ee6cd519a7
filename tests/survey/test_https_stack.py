"""The production stack of the README, over real TLS: nginx from Debian with the shipped
deploy/nginx-paverkan.conf (only its ports, paths and certificate filled in) in front of
gunicorn on SQLite and on PostgreSQL, and Chromium through it — an administrator logs in
and opens a round, a respondent answers every page and sends. Nothing on the way logs the
link or the client's address."""

from __future__ import annotations

import base64
import datetime as dt
import email
import hashlib
import os
import re
import ssl
import subprocess
import time
import urllib.error
import urllib.parse
import urllib.request
from email import policy
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import serialization

from survey.auth import throttle
from tests.admin.conftest import recipient_csv, self_signed_certificate
from tests.conftest import DEFAULT_INSTRUMENT, ROOT, postgres_database, require
from tests.survey.test_browser import answer, click_and_wait, press, start_chrome
from tests.survey.test_gunicorn import BIN, free_port, paverkan, production_env
from tests.survey.walk import fill

pytestmark = pytest.mark.browser

NGINX = "/usr/sbin/nginx"
HEADERS_MORE = "/usr/lib/nginx/modules/ngx_http_headers_more_filter_module.so"
SITE = ROOT / "deploy" / "nginx-paverkan.conf"
ADMIN, ADMIN_PASSWORD = "sakerhet@kommun.example.se", "en lång fras om våren 2026"


def render_site(directory: Path, *, https: int, http: int, app: int, cert: Path,
                key: Path) -> Path:
    """The shipped site file with this test's ports, certificate and error log."""
    text = SITE.read_text()
    for old, new in {
        "listen 80;": f"listen 127.0.0.1:{http};",
        "listen 443 ssl;": f"listen 127.0.0.1:{https} ssl;",
        "/etc/ssl/paverkan/fullchain.pem": str(cert),
        "/etc/ssl/paverkan/privkey.pem": str(key),
        "127.0.0.1:8000": f"127.0.0.1:{app}",
        "/var/log/nginx/paverkan-error.log": str(directory / "error.log"),
    }.items():
        assert old in text, f"{SITE} no longer says {old!r}: update this test's rendering"
        text = text.replace(old, new)
    site = directory / "site.conf"
    site.write_text(text)
    # What Debian's /etc/nginx/nginx.conf provides around a site, in this test's folder.
    temp = " ".join(f"{kind}_temp_path {directory / kind};"
                    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    main = directory / "nginx.conf"
    main.write_text(
        ("user root;\n" if os.geteuid() == 0 else "")
        + f"load_module {HEADERS_MORE};\ndaemon off;\npid {directory / 'nginx.pid'};\n"
        f"error_log {directory / 'error.log'} crit;\nevents {{ worker_connections 64; }}\n"
        f"http {{ {temp} include {site}; }}\n"
    )
    return main


def spki_hash(cert: Path) -> str:
    """What Chromium's --ignore-certificate-errors-spki-list takes: base64 SHA-256 of the key."""
    key = x509.load_pem_x509_certificate(cert.read_bytes()).public_key()
    der = key.public_bytes(serialization.Encoding.DER,
                           serialization.PublicFormat.SubjectPublicKeyInfo)
    return base64.b64encode(hashlib.sha256(der).digest()).decode()


def wait_for(url: str, context: ssl.SSLContext | None = None) -> None:
    for _ in range(150):
        try:
            urllib.request.urlopen(url, timeout=2, context=context).close()
            return
        except urllib.error.HTTPError as not_yet:
            not_yet.close()  # nginx answers 502 until gunicorn is up; an unclosed one warns later
            time.sleep(0.1)
        except OSError:
            time.sleep(0.1)
    raise AssertionError(f"nothing answers at {url}")


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args):
        return None


def assert_forged_addresses_do_not_escape_the_throttle(base: str, context) -> None:
    """nginx replaces X-Forwarded-For with the address it sees, so a guesser who claims a new
    address on every try is still one client (the app believes only its one proxy). The
    account guessed at is not the admin's: Chromium comes from the same 127.0.0.1."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()),
                                         urllib.request.HTTPSHandler(context=context))
    with opener.open(f"{base}/login", timeout=10) as response:
        page = response.read().decode()
    csrf = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page).group(1)
    statuses = []
    for n in range(throttle.LIMITS["pair"] + 1):
        form = urllib.parse.urlencode({"csrf_token": csrf, "email": "gissad@kommun.example.se",
                                       "password": f"gissning nummer {n}"}).encode()
        request = urllib.request.Request(f"{base}/login", data=form, headers={
            "Referer": f"{base}/login", "X-Forwarded-For": f"198.51.100.{n}"})
        with pytest.raises(urllib.error.HTTPError) as refused:
            opener.open(request, timeout=10)
        statuses.append(refused.value.code)
        refused.value.close()
    assert statuses == [401] * throttle.LIMITS["pair"] + [429]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def stack_database(request, tmp_path):
    """The production database: a SQLite file, or a PostgreSQL database of this test's own."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'paverkan.sqlite3'}"
        return
    require(request.config, "postgres")
    with postgres_database("paverkan_https") as url:
        yield url


def test_admin_and_respondent_over_https_through_nginx(request, tmp_path, stack_database):
    require(request.config, "browser")
    if not (Path(NGINX).exists() and Path(HEADERS_MORE).exists()):
        missing = "nginx or its headers-more module is missing (scripts/install-test-tools.sh)"
        if os.environ.get("PAVERKAN_REQUIRE_BROWSER") == "1":
            pytest.fail(missing)
        pytest.skip(missing)
    https, http, app_port = free_port(), free_port(), free_port()
    base = f"https://127.0.0.1:{https}"
    cert, key = self_signed_certificate(tmp_path)
    for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (tmp_path / kind).mkdir()
    nginx_conf = render_site(tmp_path, https=https, http=http, app=app_port, cert=cert, key=key)
    outbox = tmp_path / "outbox"
    env = production_env(tmp_path, base, PROXY_COUNT="1", DATABASE_URL=stack_database)
    today = dt.date.today()
    recipients = tmp_path / "lista.csv"
    recipients.write_bytes(recipient_csv(6))
    paverkan(env, "db", "upgrade")
    paverkan(env, "user", "add", ADMIN, "--role", "admin", "--password", ADMIN_PASSWORD)
    paverkan(env, "round", "create", "--title", "Påverkan över https", "--year", "2025",
             "--opens", today.isoformat(), "--closes", (today + dt.timedelta(days=30)).isoformat(),
             "--municipality", "Linköping", "--municipality", "Norrköping")
    paverkan(env, "recipients", "import", str(recipients), "--round", "1", "--yes")

    gunicorn = subprocess.Popen(
        [str(BIN / "gunicorn"), "--workers", "2", "--bind", f"127.0.0.1:{app_port}",
         "survey:create_app()"],
        env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    nginx = subprocess.Popen([NGINX, "-c", str(nginx_conf), "-p", str(tmp_path), "-e", "stderr"],
                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    driver = None
    try:
        trusting = ssl.create_default_context(cafile=str(cert))
        wait_for(f"{base}/tillganglighet", trusting)

        with urllib.request.urlopen(f"{base}/tillganglighet", context=trusting) as page:
            headers = page.headers
        assert "Server" not in headers, "no server banner"
        assert headers["Strict-Transport-Security"] == "max-age=31536000"
        assert headers["X-Frame-Options"] == "DENY"
        assert headers["Referrer-Policy"] == "same-origin"
        plain = urllib.request.build_opener(NoRedirect)
        with pytest.raises(urllib.error.HTTPError) as redirect:
            plain.open(f"http://127.0.0.1:{http}/login", timeout=5)
        assert redirect.value.code == 301
        assert redirect.value.headers["Location"].startswith("https://")
        redirect.value.close()

        assert_forged_addresses_do_not_escape_the_throttle(base, trusting)

        driver = start_chrome(f"--ignore-certificate-errors-spki-list={spki_hash(cert)}",
                              f"--user-data-dir={tmp_path / 'chromium'}")
        driver.get(f"{base}/admin/rounds/1")
        assert "/login" in driver.current_url
        driver.find_element("name", "email").send_keys(ADMIN)
        driver.find_element("name", "password").send_keys(ADMIN_PASSWORD)
        click_and_wait(driver, "form button[type=submit]")
        assert driver.current_url == f"{base}/admin/rounds/1", "logged in over https"
        cookie = driver.get_cookie("paverkan")
        assert cookie["secure"] and cookie["httpOnly"]
        click_and_wait(driver, 'form[action$="/open"] button')
        assert "Skicka inbjudningar" in driver.page_source, "the round is open"
        driver.delete_all_cookies()

        paverkan(env, "mail", "invite", "--round", "1")
        message = email.message_from_bytes(sorted(outbox.rglob("*.eml"))[0].read_bytes(),
                                           policy=policy.default)
        link = re.search(rf"{re.escape(base)}/s/[A-Za-z0-9_-]{{43}}",
                         message.get_body(("plain",)).get_content()).group(0)
        driver.get(link)
        click_and_wait(driver, "form button[type=submit]")
        pages = 0
        while "/svar/sida/" in driver.current_url:
            answer(driver, fill(driver.page_source))
            press(driver, "next")
            pages += 1
        assert pages == len(DEFAULT_INSTRUMENT.pages)
        assert driver.current_url == f"{base}/svar/granska"
        press(driver, "submit")
        assert driver.current_url == f"{base}/svar/tack"
        assert "Formuläret har gått ut" not in driver.page_source
    finally:
        if driver is not None:
            driver.quit()
        nginx.terminate()
        gunicorn.terminate()
        nginx_output, _ = nginx.communicate(timeout=30)
        gunicorn_output, _ = gunicorn.communicate(timeout=30)
    token = link.rsplit("/", 1)[1]
    logged = nginx_output + gunicorn_output + (tmp_path / "error.log").read_text()
    for secret in (token, "127.0.0.1:", "HeadlessChrome"):
        assert secret not in logged.replace(f"127.0.0.1:{app_port}", "")
