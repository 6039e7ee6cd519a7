"""An administrator in headless Chromium: every admin page, with axe, including errors."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from survey import db, migrate, tokens
from survey.admin import operations
from survey.auth import operations as accounts
from survey.models import Invitation
from survey.serve import quiet_server
from tests.admin.conftest import PASSWORD_OF, recipient_csv
from tests.conftest import make_test_app
from tests.survey.test_browser import axe_violations, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_admin(tmp_path_factory):
    """The app on 127.0.0.1 with an admin, a researcher and an open round with recipients."""
    instance = tmp_path_factory.mktemp("live-admin")
    app = make_test_app(f"sqlite:///{instance / 'live.sqlite3'}", instance)
    migrate.upgrade(db.database(app).engine)
    with app.app_context():
        session = db.session()
        accounts.add_user(session, "admin@kommun.se", "admin", PASSWORD_OF)
        accounts.add_user(session, "forskare@kommun.se", "researcher", PASSWORD_OF)
        round_ = operations.create_round(
            session, title="Otillåten påverkan 2026", reference_year=2025,
            opens_on=dt.date.today(), closes_on=dt.date.today() + dt.timedelta(days=30),
            municipalities=["Linköping", "Norrköping"], groups=["förtroendevald", "medarbetare"],
        )
        operations.open_round(session, round_)
        report = operations.preview_import(session, round_, recipient_csv(8), "lista.csv")
        operations.import_recipients(session, round_, report)
        operations.send_mailing(session, operations.start_mailing(session, round_, "invitation"))
        optout = tokens.token_for(session.query(Invitation).first())
        round_id = round_.id
    server = quiet_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", round_id, optout
    server.shutdown()
    server.server_close()
    thread.join()
    db.database(app).engine.dispose()


def log_in(driver, base: str, email: str, password: str) -> None:
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(password)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()


def wait_for(driver, text: str) -> None:
    """The click returns before the next page has loaded."""
    WebDriverWait(driver, 10).until(lambda d: text in d.page_source)


def test_every_admin_page_passes_axe(live_admin, browser, tmp_path):  # noqa: F811
    base, round_id, optout = live_admin
    browser.delete_all_cookies()
    problems: list[str] = []

    log_in(browser, base, "admin@kommun.se", "fel lösenord")
    wait_for(browser, "error-summary")
    problems += axe_violations(browser)
    log_in(browser, base, "admin@kommun.se", PASSWORD_OF)
    WebDriverWait(browser, 10).until(lambda d: d.current_url.endswith("/admin/"))

    pages = ["/admin/", "/admin/rounds/new", f"/admin/rounds/{round_id}",
             f"/admin/rounds/{round_id}/mail/invitation", f"/admin/rounds/{round_id}/close",
             f"/admin/rounds/{round_id}/recipients", f"/admin/rounds/{round_id}/dates",
             "/password", "/password?lang=en",
             f"/admin/rounds/{round_id}?lang=en"]
    for path in pages:
        browser.get(base + path)
        problems += axe_violations(browser)

    browser.get(f"{base}/admin/rounds/new?lang=sv")
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for(browser, "error-summary")
    problems += axe_violations(browser)

    bad = tmp_path / "fel.csv"
    bad.write_bytes(b"E-post;Kommun;Grupp\nfel;Motala;chef\n")
    browser.get(f"{base}/admin/rounds/{round_id}/recipients")
    browser.find_element(By.ID, "file").send_keys(str(bad))
    browser.find_element(By.CSS_SELECTOR, "main form[enctype] button").click()
    wait_for(browser, "Ogiltig e-postadress")
    problems += axe_violations(browser)

    browser.get(f"{base}/s/{optout}/avsta")
    problems += axe_violations(browser)

    browser.delete_all_cookies()
    log_in(browser, base, "forskare@kommun.se", PASSWORD_OF)
    WebDriverWait(browser, 10).until(lambda d: "/login" not in d.current_url)
    browser.get(f"{base}/admin/")
    wait_for(browser, "Ingen behörighet")
    problems += axe_violations(browser)
    assert not problems, "\n".join(problems)
