"""An administrator on a 1280 px desktop reads the round's tables, Swedish and English,
without scrolling any of them sideways (they used to sit in a 46rem column and scroll)."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By

from tests.admin.conftest import PASSWORD_OF
from tests.admin.test_browser import log_in, wait_for
from tests.survey.test_browser import (  # noqa: F401  (browser: fixture)
    axe_violations,
    browser,
    click_and_wait,
)

pytestmark = pytest.mark.browser

UNITS = ["Samhällsbyggnadsförvaltningen, bygglov och lantmäteri", "Kultur- och fritid", "IT"]


@pytest.fixture(scope="module")
def live_round(live_site):
    """An open round whose list has long unit names, with its invitations sent."""
    rows = ["E-post;Kommun;Grupp;Enhet"] + [
        f"p{i}@example.se;{('Linköping', 'Norrköping')[i % 2]};medarbetare;{UNITS[i % 3]}"
        for i in range(36)]
    site = live_site("live-tables", [{"title": "Otillåten påverkan 2026",
                                      "recipients": "\n".join(rows).encode(), "send": True}])
    return site.base, site.rounds[0]


@pytest.mark.parametrize("lang", ["sv", "en"])
def test_the_round_tables_fit_a_1280_px_screen(live_round, browser, lang):  # noqa: F811
    base, round_id = live_round
    browser.delete_all_cookies()
    browser.set_window_size(1280, 900)
    log_in(browser, base, "admin@kommun.se", PASSWORD_OF)
    wait_for(browser, "Otillåten påverkan 2026")
    browser.get(f"{base}/admin/rounds/{round_id}?lang={lang}")
    boxes = browser.find_elements(By.CSS_SELECTOR, ".table-scroll")
    assert len(boxes) >= 3, "per stratum, per unit and the mailings"
    for box in boxes:
        overflow = browser.execute_script(
            "return arguments[0].scrollWidth - arguments[0].clientWidth", box)
        assert overflow <= 0, (box.get_attribute("aria-label"), overflow)
    assert browser.execute_script(
        "return document.documentElement.scrollWidth") <= 1280
    assert axe_violations(browser) == []


@pytest.mark.parametrize("width", [375, 1280])
def test_the_pages_of_a_send_out_a_correction_and_a_new_round_pass_axe(live_round, browser,  # noqa: F811
                                                                      width):
    """The confirmation that counts the mails, the send-out's progress page, the lookup and
    correction of one recipient and the new-round form with its questionnaire upload."""
    base, round_id = live_round
    browser.delete_all_cookies()
    browser.set_window_size(width, 900)
    log_in(browser, base, "admin@kommun.se", PASSWORD_OF)
    wait_for(browser, "Otillåten påverkan 2026")
    problems = []
    browser.get(f"{base}/admin/rounds/{round_id}/send/reminder?number=1")
    assert "36" in browser.find_element(By.TAG_NAME, "main").text, "how many mails go out"
    problems += axe_violations(browser)
    click_and_wait(browser, "main form button[type=submit]")
    if "/admin/jobs/" not in browser.current_url:
        browser.get(f"{base}/admin/jobs/1")  # the other width's run started the reminder
    assert browser.find_element(By.TAG_NAME, "h1").text, "the send-out's progress page"
    problems += axe_violations(browser)
    browser.get(f"{base}/admin/rounds/{round_id}/recipient")
    browser.find_element(By.CSS_SELECTOR, "main form input[name=email]").send_keys(
        "p1@example.se")
    click_and_wait(browser, "main form button[type=submit]")
    assert browser.find_elements(By.CSS_SELECTOR, "button[name=remove]"), "the correction form"
    problems += axe_violations(browser)
    browser.get(f"{base}/admin/rounds/new")
    problems += axe_violations(browser)
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    assert problems == []
