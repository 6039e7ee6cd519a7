"""An administrator in headless Chromium: every admin page, with axe, including errors."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from survey import db, tokens
from survey.models import Invitation
from tests.admin.conftest import PASSWORD_OF, recipient_csv
from tests.survey.test_browser import axe_violations, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def live_admin(live_site):
    """The app on 127.0.0.1 with an admin, a researcher and an open round with recipients."""
    site = live_site("live-admin", [{"title": "Otillåten påverkan 2026",
                                     "recipients": recipient_csv(8), "send": True}],
                     researcher=True)
    with site.app.app_context():
        optout = tokens.token_for(db.session().query(Invitation).first())
    return site.base, site.rounds[0], optout


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
