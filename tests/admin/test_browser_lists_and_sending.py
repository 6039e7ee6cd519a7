"""An administrator in Chromium (375 and 1280 px, Swedish and English) imports a first
list, then a supplementary one that overlaps it under a "Förvaltning/Enhet" header: the
preview names the people skipped and the column not used, and only the newcomer is added.
Invitations pressed before the opening day are refused with the way out. axe on each page."""

from __future__ import annotations

import datetime as dt

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy import func, select

from survey import db
from survey.admin.models import Delivery
from survey.models import Invitation
from tests.admin.conftest import PASSWORD_OF
from tests.admin.test_browser import log_in
from tests.survey.test_browser import (  # noqa: F401  (fixture)
    axe_violations,
    browser,
    click_and_wait,
)

pytestmark = pytest.mark.browser

CASES = [(375, "sv", 0), (375, "en", 1), (1280, "sv", 2), (1280, "en", 3)]
SAYS = {
    "sv": {"skipped": "1 personer i listan finns redan i omgången och hoppas över (rad 2)",
           "unused": "Kolumner som inte används: Namn.", "added": "1 mottagare lades till.",
           "refused": "mejl kan skickas från den dagen"},
    "en": {"skipped": "1 people on the list are already in the round and are skipped (rows 2)",
           "unused": "Columns not used: Namn.", "added": "1 recipients were added.",
           "refused": "mail can be sent from that day"},
}


@pytest.fixture(scope="module")
def live_lists(live_site):
    """Four open rounds that open in a week (so nothing may be sent yet), and an admin."""
    week = dt.date.today() + dt.timedelta(days=7)
    return live_site("live-lists", [
        {"title": f"Omgång {index}", "opens_on": week, "min_cell_size": 1}
        for index in range(len(CASES))])


def upload(driver, base: str, round_id: int, path, lang: str) -> None:
    driver.get(f"{base}/admin/rounds/{round_id}/recipients?lang={lang}")
    driver.find_element(By.ID, "file").send_keys(str(path))
    click_and_wait(driver, "main form[enctype] button")


@pytest.mark.parametrize(("width", "lang", "index"), CASES)
def test_a_supplementary_list_and_a_send_before_the_opening_day(live_lists, browser,  # noqa: F811
                                                                 width, lang, index):
    base, round_id, says = live_lists.base, live_lists.rounds[index], SAYS[lang]
    problems: list[str] = []
    browser.delete_all_cookies()
    browser.set_window_size(width, 900)
    log_in(browser, base, "admin@kommun.se", PASSWORD_OF)
    WebDriverWait(browser, 10).until(lambda d: "/login" not in d.current_url)

    first = live_lists.folder / f"first{index}.csv"
    first.write_text(f"E-post;Kommun;Grupp\nanna{index}@kommun.se;Linköping;medarbetare\n",
                     encoding="utf-8")
    upload(browser, base, round_id, first, lang)
    click_and_wait(browser, "main form[action$='/recipients/confirm'] button")

    more = live_lists.folder / f"more{index}.csv"
    more.write_text("E-post;Kommun;Grupp;Förvaltning/Enhet;Namn\n"
                    f"anna{index}@kommun.se;Linköping;medarbetare;Vård;Anna\n"
                    f"bo{index}@kommun.se;Linköping;medarbetare;Vård;Bo\n", encoding="utf-8")
    upload(browser, base, round_id, more, lang)
    page = browser.page_source
    assert says["skipped"] in page and says["unused"] in page
    assert "Förvaltning/Enhet" in page
    problems += axe_violations(browser)
    click_and_wait(browser, "main form[action$='/recipients/confirm'] button")
    # The import is a background job: its progress page reloads itself until it is done.
    WebDriverWait(browser, 30).until(lambda driver: says["added"] in driver.page_source)
    with live_lists.app.app_context():
        emails = db.session().scalars(
            select(Invitation.email).where(Invitation.round_id == round_id)).all()
    assert sorted(emails) == [f"anna{index}@kommun.se", f"bo{index}@kommun.se"]

    browser.get(f"{base}/admin/rounds/{round_id}/send/invitation?lang={lang}")
    click_and_wait(browser, "main form button[type=submit]")
    assert says["refused"] in browser.page_source
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    heights = browser.execute_script(
        "return [...document.querySelectorAll('svg.rate-chart text')]"
        ".map(t => t.getBoundingClientRect().height)")
    assert heights and min(heights) >= 13, f"the chart's labels are readable: {heights}"
    problems += axe_violations(browser)
    with live_lists.app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Delivery)) == 0
    assert not problems, "\n".join(problems)


STAFF = {"sv": ("Kontot forskare{index}@kommun.se är skapat.", "Forskare (resultat och mikrodata)"),
         "en": ("The account forskare{index}@kommun.se is created.",
                "Researcher (results and microdata)")}


@pytest.mark.parametrize(("width", "lang", "index"), CASES)
def test_a_staff_account_is_created_from_the_page(live_lists, browser, width, lang,  # noqa: F811
                                                  index):
    """A researcher's account added from the staff page, and that researcher logs in."""
    base, (created, role) = live_lists.base, STAFF[lang]
    problems: list[str] = []
    browser.delete_all_cookies()
    browser.set_window_size(width, 900)
    log_in(browser, base, "admin@kommun.se", PASSWORD_OF)
    WebDriverWait(browser, 10).until(lambda d: "/login" not in d.current_url)
    browser.get(f"{base}/admin/?lang={lang}")
    click_and_wait(browser, "nav.staff a[href='/admin/konton']")
    problems += axe_violations(browser)
    click_and_wait(browser, "main form button[type=submit]")
    assert "error-summary" in browser.page_source, "an empty form is explained"
    problems += axe_violations(browser)
    browser.find_element(By.ID, "email").send_keys(f"forskare{index}@kommun.se")
    browser.find_element(By.CSS_SELECTOR, "#role option[value=researcher]").click()
    browser.find_element(By.ID, "password").send_keys(PASSWORD_OF)
    click_and_wait(browser, "main form button[type=submit]")
    assert created.format(index=index) in browser.page_source
    assert role in browser.page_source
    assert browser.execute_script("return document.documentElement.scrollWidth") <= width
    problems += axe_violations(browser)
    click_and_wait(browser, f"main a[href$='/konton/{index + 2}']")
    problems += axe_violations(browser)

    browser.delete_all_cookies()
    log_in(browser, base, f"forskare{index}@kommun.se", PASSWORD_OF)
    WebDriverWait(browser, 10).until(lambda d: "/login" not in d.current_url)
    assert "/resultat" in browser.current_url
    assert not problems, "\n".join(problems)
