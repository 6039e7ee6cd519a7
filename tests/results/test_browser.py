"""A chief in headless Chromium: every results page passes axe at phone and desktop width,
never scrolls sideways on a phone, and its charts keep their text at 12 px or more."""

from __future__ import annotations

import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait
from sqlalchemy.orm import sessionmaker

from survey import db, migrate
from survey.auth.operations import add_user
from survey.serve import quiet_server
from tests.admin.conftest import PASSWORD_OF
from tests.conftest import RoundFactory, _current, make_test_app
from tests.results.conftest import TWO_MUNICIPALITIES, add_responses
from tests.survey.test_browser import axe_violations, browser  # noqa: F401  (fixture)

pytestmark = pytest.mark.browser

#: the smallest font a chart may draw, in CSS pixels as shown
SMALLEST_TEXT = 12

SMALLEST_CHART_TEXT = """
let smallest = 1000;
for (const svg of document.querySelectorAll("svg.chart")) {
  const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
  for (const text of svg.querySelectorAll("text")) {
    smallest = Math.min(smallest, parseFloat(getComputedStyle(text).fontSize) * scale);
  }
}
return smallest;
"""


@pytest.fixture(scope="module")
def live_results(tmp_path_factory):
    """The app on 127.0.0.1 with a chief, a closed round and an open one whose Norrköping
    elected officials have too few responses to be shown."""
    instance = tmp_path_factory.mktemp("live-results")
    app = make_test_app(f"sqlite:///{instance / 'live.sqlite3'}", instance,
                        RESULTS_BACKGROUND_FROM=10**9)
    migrate.upgrade(db.database(app).engine)
    session = sessionmaker(bind=db.database(app).engine)()
    _current.update(app=app, session=session)
    try:
        closed = RoundFactory(state="closed", link_salt=None, title="Otillåten påverkan 2025",
                              reference_year=2024)
        add_responses(session, closed, TWO_MUNICIPALITIES)
        opened = RoundFactory(title="Otillåten påverkan 2026", reference_year=2025)
        add_responses(session, opened, {**TWO_MUNICIPALITIES,
                                        ("Norrköping", "förtroendevald"): (40, 2)})
        add_user(session, "chef@kommun.se", "chief", PASSWORD_OF)
        session.commit()
        rounds = closed.id, opened.id
    finally:
        _current.clear()
        session.close()
    server = quiet_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", rounds
    server.shutdown()
    server.server_close()
    thread.join()
    db.database(app).engine.dispose()


def result_pages(closed: int, opened: int) -> list[str]:
    return [
        f"/resultat/?round={closed}",
        f"/resultat/?round={closed}&municipality=Norrköping&group=medarbetare",
        f"/resultat/?round={opened}",
        f"/resultat/?round={closed}&lang=en",
        f"/resultat/fraga?round={closed}",
        f"/resultat/fraga?round={closed}&by=gender&section=exposure_threats",
        f"/resultat/fraga?round={closed}&section=worry_and_support",
        f"/resultat/jamforelse?round={closed}",
        f"/resultat/over-tid?round={opened}",
        f"/resultat/nationell?round={closed}",
        f"/resultat/jamforelse?round={closed}&lang=sv",
    ]


def test_every_results_page_passes_axe_on_a_phone_and_a_desktop(live_results, browser):  # noqa: F811
    base, (closed, opened) = live_results
    browser.delete_all_cookies()
    browser.get(f"{base}/login")
    browser.find_element(By.ID, "email").send_keys("chef@kommun.se")
    browser.find_element(By.ID, "password").send_keys(PASSWORD_OF)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(browser, 60).until(lambda d: "/resultat/" in d.current_url
                                     and "</html>" in d.page_source)
    problems: list[str] = []
    try:
        for width in (375, 1280):
            browser.set_window_size(width, 900)
            for page in result_pages(closed, opened):
                browser.get(base + page)
                WebDriverWait(browser, 120).until(lambda d: "footer" in d.page_source)
                problems += axe_violations(browser)
                inner = browser.execute_script("return window.innerWidth")
                scroll = browser.execute_script(
                    "return document.documentElement.scrollWidth")
                if scroll > inner:
                    problems.append(f"{page} at {width}: scrolls sideways ({scroll} > {inner})")
                smallest = browser.execute_script(SMALLEST_CHART_TEXT)
                if smallest < SMALLEST_TEXT:
                    problems.append(f"{page} at {width}: chart text of {smallest:.1f} px")
        browser.get(f"{base}/resultat/?round={opened}")
        assert "Norrköping – förtroendevald" in browser.page_source
    finally:
        browser.set_window_size(1024, 900)
    assert problems == []
