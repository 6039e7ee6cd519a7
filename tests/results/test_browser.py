"""A chief in headless Chromium: every results page passes axe at phone and desktop width,
never scrolls sideways on a phone, and its charts keep their text at 12 px or more; a
researcher's microdata export and the page that follows it pass axe too."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select, WebDriverWait
from sqlalchemy.orm import sessionmaker

from survey import db, migrate
from survey.auth.operations import add_user, find_user
from survey.jobs.models import Job
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
    """The app on 127.0.0.1 with a chief, a researcher, a closed round and an open one whose
    Norrköping elected officials have too few responses to be shown."""
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
        add_user(session, "forskare@kommun.se", "researcher", PASSWORD_OF)
        session.commit()
        rounds = closed.id, opened.id
    finally:
        _current.clear()
        session.close()
    server = quiet_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", rounds, app
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


def _log_in(driver, base: str, email: str) -> None:
    driver.delete_all_cookies()
    driver.get(f"{base}/login")
    driver.find_element(By.ID, "email").send_keys(email)
    driver.find_element(By.ID, "password").send_keys(PASSWORD_OF)
    driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    WebDriverWait(driver, 60).until(lambda d: "/resultat/" in d.current_url
                                     and "</html>" in d.page_source)


def test_every_results_page_passes_axe_on_a_phone_and_a_desktop(live_results, browser):  # noqa: F811
    base, (closed, opened), _app = live_results
    _log_in(browser, base, "chef@kommun.se")
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


def test_a_researcher_follows_a_microdata_export_on_pages_that_pass_axe(live_results, browser):  # noqa: F811
    base, (closed, opened), app = live_results
    _log_in(browser, base, "forskare@kommun.se")
    session = db.database(app).sessionmaker()
    try:
        researcher = find_user(session, "forskare@kommun.se")
        held = Job(kind="export", round_id=opened, owner_id=researcher.id, state="running",
                   done=1, total=2, locale="sv", lease_owner="a-live-worker",
                   lease_until=dt.datetime.now(dt.UTC) + dt.timedelta(hours=1),
                   arguments={"file_format": "csv", "lang": "sv", "free_text": False,
                              "names": None})
        session.add(held)
        session.commit()
        running = f"/resultat/mikrodata/export/{held.id}?auto=0"
    finally:
        session.close()
    problems: list[str] = []
    try:
        for width in (375, 1280):
            browser.set_window_size(width, 900)
            for page in ("/resultat/mikrodata", running):
                browser.get(base + page)
                WebDriverWait(browser, 30).until(lambda d: "footer" in d.page_source)
                problems += axe_violations(browser)
        assert "Pågår: 1 av 2 klara." in browser.page_source
        browser.get(f"{base}/resultat/mikrodata")
        Select(browser.find_element(By.ID, "round")).select_by_value(str(closed))
        browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        WebDriverWait(browser, 60).until(lambda d: "Filen är klar" in d.page_source)
        problems += axe_violations(browser)
        assert browser.find_element(By.PARTIAL_LINK_TEXT, "Ladda ner filen (CSV)")
    finally:
        browser.set_window_size(1024, 900)
    assert problems == []
