"""A respondent in headless Chromium: every page of the default instrument, with axe.

The app runs on a real server thread (SQLite file, the quiet development server); axe-core
is injected into each page and any WCAG 2.1 A/AA violation fails the test, including the
pages with error messages.
"""

from __future__ import annotations

import datetime as dt
import threading
from types import SimpleNamespace

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from survey import db, migrate, tokens
from survey.models import Invitation, Round
from survey.serve import quiet_server
from tests.conftest import AXE, CHROMEDRIVER, CHROMIUM, DEFAULT_INSTRUMENT, make_test_app, require
from tests.survey.walk import fill

pytestmark = pytest.mark.browser

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]


def _links(session, opens_in: int, closes_in: int, count: int) -> list[str]:
    """A round open from `opens_in` to `closes_in` days from today, and its invitations' links."""
    today = dt.date.today()
    round_ = Round(
        title="Otillåten påverkan 2026",
        questionnaire_id=DEFAULT_INSTRUMENT.id,
        definition=DEFAULT_INSTRUMENT.canonical_json,
        fingerprint=DEFAULT_INSTRUMENT.fingerprint,
        reference_year=2025,
        opens_on=today + dt.timedelta(days=opens_in),
        closes_on=today + dt.timedelta(days=closes_in),
        state="open",
        municipalities=["Linköping", "Norrköping"],
        groups=["förtroendevald", "medarbetare"],
    )
    session.add(round_)
    session.flush()
    links = []
    for _ in range(count):
        invitation = Invitation(round=round_, email=f"b{len(links)}.{round_.id}@kommun.se",
                                municipality="Linköping", group="medarbetare")
        session.add(invitation)
        session.flush()
        links.append(tokens.assign_token(invitation))
    return links


@pytest.fixture(scope="module")
def live(tmp_path_factory):
    """The app served on 127.0.0.1: an open round with four invitations, and one link each
    of a round whose closing day has passed and of one that opens next week."""
    instance = tmp_path_factory.mktemp("live")
    app = make_test_app(f"sqlite:///{instance / 'live.sqlite3'}", instance)
    migrate.upgrade(db.database(app).engine)
    with app.app_context():
        session = db.session()
        links = _links(session, 0, 30, 4)
        [closed] = _links(session, -30, -1, 1)
        [not_open] = _links(session, 7, 30, 1)
        session.commit()
    server = quiet_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield SimpleNamespace(base=f"http://127.0.0.1:{server.server_port}", links=links,
                          closed=closed, not_open=not_open)
    server.shutdown()
    server.server_close()
    thread.join()
    db.database(app).engine.dispose()


def start_chrome(*extra_flags: str) -> webdriver.Chrome:
    """Headless Debian Chromium through chromedriver; `extra_flags` add to the usual ones."""
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--window-size=1024,900",
        *extra_flags,
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    driver.set_script_timeout(60)
    return driver


@pytest.fixture(scope="module")
def browser(request):
    require(request.config, "browser")
    driver = start_chrome()
    yield driver
    driver.quit()


def axe_violations(driver) -> list[str]:
    driver.execute_script(AXE.read_text())
    violations = driver.execute_async_script(
        """
        const done = arguments[arguments.length - 1];
        axe.run(document, {runOnly: {type: "tag", values: arguments[0]}})
          .then(result => done(result.violations.map(
            v => v.id + ": " + v.help + " — " + v.nodes.map(n => n.target.join(" ")).join(", "))))
          .catch(error => done(["axe failed: " + error]));
        """,
        AXE_TAGS,
    )
    return [f"{driver.current_url}: {v}" for v in violations]


def answer(driver, data: dict) -> None:
    for name, value in data.items():
        values = value if isinstance(value, list) else [value]
        for one in values:
            selector = f'[name="{name}"]'
            element = driver.find_element(By.CSS_SELECTOR, selector)
            if element.tag_name == "textarea":
                element.clear()
                element.send_keys(one)
            else:
                driver.find_element(By.CSS_SELECTOR, f'{selector}[value="{one}"]').click()


def click_and_wait(driver, selector: str) -> None:
    """Click and wait until the next page has replaced this one (a click does not wait)."""
    driver.execute_script("document.documentElement.dataset.left = 'yes'")
    driver.find_element(By.CSS_SELECTOR, selector).click()
    WebDriverWait(driver, 20, ignored_exceptions=(WebDriverException,)).until(
        lambda d: d.execute_script(
            "return document.readyState === 'complete'"
            " && document.documentElement.dataset.left === undefined"
        )
    )


def press(driver, action: str) -> None:
    click_and_wait(driver, f'button[name="action"][value="{action}"]')


def test_every_respondent_page_passes_axe_and_nothing_is_logged(live, browser, capfd):
    """A staff member answers the whole questionnaire in a real browser: every page, the error
    page and the closing pages have no WCAG 2.1 A/AA violation, the phone width needs no
    sideways scrolling, and the server writes nothing about the visit."""
    base, links = live.base, live.links
    token = links[0]
    problems: list[str] = []

    browser.get(f"{base}/s/{token}")
    problems += axe_violations(browser)
    click_and_wait(browser, "form button[type=submit]")
    assert token not in browser.current_url

    seen = []
    while "/svar/sida/" in browser.current_url:
        page_id = browser.current_url.rsplit("/", 1)[1]
        problems += axe_violations(browser)
        data = fill(browser.page_source)
        if page_id == "free_text":
            browser.execute_script("document.getElementById('f2').value = 'x'.repeat(2100);")
            data.pop("f2")
            answer(browser, data)
            press(browser, "next")
            assert "högst 2000 tecken" in browser.page_source
            problems += axe_violations(browser)
            data = fill(browser.page_source)
        seen.append(page_id)
        answer(browser, data)
        press(browser, "next")
    assert browser.current_url.endswith("/svar/granska")
    assert len(seen) == len(DEFAULT_INSTRUMENT.pages)
    problems += axe_violations(browser)

    browser.get(f"{base}/svar/sida/role?lang=en")
    problems += axe_violations(browser)
    browser.set_window_size(320, 800)
    browser.get(f"{base}/svar/sida/exposure_harassment")
    width = browser.execute_script("return document.documentElement.scrollWidth")
    assert width <= 320, "no sideways scrolling on a 320 px phone"
    browser.set_window_size(1024, 900)

    browser.get(f"{base}/svar/granska?lang=sv")
    press(browser, "submit")
    assert browser.current_url.endswith("/svar/tack")
    problems += axe_violations(browser)
    browser.back()
    browser.refresh()
    assert "Tack, ditt svar är redan inskickat" in browser.page_source
    problems += axe_violations(browser)

    for path in ("/", "/s/" + "x" * 43, "/tillganglighet", "/ingen-sida"):
        browser.get(base + path)
        problems += axe_violations(browser)

    assert not problems, "\n".join(problems)
    out, err = capfd.readouterr()
    for secret in (token, "127.0.0.1", "HeadlessChrome"):
        assert secret not in out + err


def test_an_error_summary_links_to_the_field(live, browser):
    """Tampered values come back as an error summary whose links lead to the field; the
    page for an ended session passes axe too."""
    base, links = live.base, live.links
    browser.delete_all_cookies()
    browser.get(f"{base}/s/{links[1]}")
    click_and_wait(browser, "form button[type=submit]")
    browser.execute_script(
        "const r = document.getElementById('a2-1'); r.value = '7'; r.checked = true;"
    )
    press(browser, "next")
    summary = browser.find_element(By.CSS_SELECTOR, ".error-summary a")
    assert summary.get_attribute("href").endswith("#a2-1")
    problems = axe_violations(browser)
    browser.delete_all_cookies()
    browser.get(f"{base}/svar/sida/role")
    assert "Öppna din länk igen" in browser.page_source
    problems += axe_violations(browser)
    assert not problems, "\n".join(problems)


def test_the_other_respondent_pages_and_the_english_ones_pass_axe(live, browser):
    """The pages a respondent meets besides the questionnaire: a round that has closed, one
    not yet open, an ended session and a rejected form (no session, and a forged token);
    and the main pages in English, from the start page to the thanks."""
    base, token = live.base, live.links[3]
    problems: list[str] = []
    browser.delete_all_cookies()
    for link, says in ((live.closed, "Enkäten är stängd"),
                       (live.not_open, "Enkäten har inte öppnat än")):
        browser.get(f"{base}/s/{link}?lang=sv")
        assert says in browser.page_source
        problems += axe_violations(browser)

    browser.get(f"{base}/s/{token}")
    browser.delete_all_cookies()  # the session ends while the start page is open
    click_and_wait(browser, "form button[type=submit]")
    assert "Din session har avslutats" in browser.page_source
    problems += axe_violations(browser)
    browser.get(f"{base}/s/{token}")
    click_and_wait(browser, "form button[type=submit]")
    browser.execute_script("document.querySelector('[name=csrf_token]').value = 'forged';")
    press(browser, "next")
    assert "Formuläret har gått ut" in browser.page_source
    problems += axe_violations(browser)

    browser.get(f"{base}/s/{token}?lang=en")
    assert '<html lang="en">' in browser.page_source
    problems += axe_violations(browser)
    click_and_wait(browser, "form button[type=submit]")
    problems += axe_violations(browser)
    while "/svar/sida/" in browser.current_url:
        answer(browser, fill(browser.page_source))
        press(browser, "next")
    assert "Check your answers" in browser.page_source
    problems += axe_violations(browser)
    press(browser, "submit")
    assert browser.current_url.endswith("/svar/tack")
    problems += axe_violations(browser)
    for path in (f"/s/{token}", f"/s/{live.closed}", f"/s/{live.not_open}", "/",
                 "/tillganglighet", "/s/" + "x" * 43):
        browser.get(base + path)
        assert '<html lang="en">' in browser.page_source, path
        problems += axe_violations(browser)
    assert not problems, "\n".join(problems)
