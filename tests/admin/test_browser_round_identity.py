"""An administrator names the round's sender and contact in Chromium (375 and 1280 px,
Swedish and English); the invitation that a real SMTP server receives comes from that
organisation and names the contact, and the link leads to a start page that names them too
and promises the same time. axe finds nothing on the pages touched."""

from __future__ import annotations

import re
from types import SimpleNamespace

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from survey import db
from survey.admin import operations
from survey.models import Round
from tests.admin.conftest import PASSWORD_OF, Recorder, recipient_csv, start
from tests.admin.test_browser import log_in
from tests.survey.test_browser import (  # noqa: F401  (fixture)
    axe_violations,
    browser,
    click_and_wait,
)

pytestmark = pytest.mark.browser

CASES = [(375, "sv", 0), (375, "en", 1), (1280, "sv", 2), (1280, "en", 3)]
IDENTITY = {"organisation": "Linköpings kommun", "contact_name": "Anna Berg",
            "contact_email": "anna.berg@linkoping.se", "contact_phone": "013-20 60 00",
            "sender_address": "enkat@linkoping.se"}


@pytest.fixture(scope="module")
def live_rounds(live_site, tmp_path_factory):
    """The app on 127.0.0.1 sending through a real SMTP server: an admin and four open
    rounds with two recipients each, nothing sent yet."""
    recorder = Recorder()
    controller, url = start(recorder, "plain", tmp_path_factory.mktemp("smtp-identity"))
    site = live_site("live-identity", [
        {"title": f"Otillåten påverkan {index}", "recipients": recipient_csv(2, start=10 * index)}
        for index in range(len(CASES))], mail_url=url)
    yield SimpleNamespace(base=site.base, app=site.app, rounds=site.rounds, recorder=recorder)
    controller.stop()


def submit_and_wait(driver, path_end: str) -> None:
    click_and_wait(driver, "main form button[type=submit]")
    assert driver.current_url.split("?")[0].endswith(path_end), driver.current_url


@pytest.mark.parametrize(("width", "lang", "index"), CASES)
def test_the_invitation_names_its_sender_and_contact(live_rounds, browser, width, lang,  # noqa: F811
                                                      index):
    base, round_id = live_rounds.base, live_rounds.rounds[index]
    problems: list[str] = []
    browser.delete_all_cookies()
    browser.set_window_size(width, 900)
    log_in(browser, base, "admin@kommun.se", PASSWORD_OF)
    WebDriverWait(browser, 10).until(lambda d: "/login" not in d.current_url)

    browser.get(f"{base}/admin/rounds/{round_id}/contact?lang={lang}")
    problems += axe_violations(browser)
    browser.find_element(By.ID, "contact_email").send_keys("inte en adress")
    submit_and_wait(browser, "/contact")
    assert "anna.berg@kommun.se" in browser.page_source, "the mistake is explained"
    problems += axe_violations(browser)
    for name, value in IDENTITY.items():
        field = browser.find_element(By.ID, name)
        field.clear()
        field.send_keys(value)
    submit_and_wait(browser, f"/admin/rounds/{round_id}")
    assert "Anna Berg, anna.berg@linkoping.se, 013-20 60 00" in browser.page_source
    problems += axe_violations(browser)

    with live_rounds.app.app_context():
        session = db.session()
        round_ = session.get(Round, round_id)
        operations.send_mailing(session, operations.start_mailing(session, round_, "invitation"))
    wanted = {f"person{10 * index}@example.se", f"person{10 * index + 1}@example.se"}
    mails = [m for m in live_rounds.recorder.messages if m["To"] in wanted]
    assert len(mails) == 2
    mail = mails[0]
    sender = mail["From"].addresses[0]
    assert (sender.display_name, sender.addr_spec) == ("Linköpings kommun", "enkat@linkoping.se")
    text = mail.get_body(("plain",)).get_content()
    assert "Frågor om enkäten: Anna Berg, anna.berg@linkoping.se, 013-20 60 00" in text
    assert "Questions about the survey: Anna Berg" in text
    minutes = re.search(r"omkring (\S+) minuter", text).group(1)
    link = re.search(r"https?://[^/\s]+(/s/\S+)", text).group(1)

    browser.delete_all_cookies()
    browser.get(f"{base}{link}?lang={lang}")
    page = browser.page_source
    assert "Linköpings kommun" in page and "Anna Berg" in page
    assert 'href="mailto:anna.berg@linkoping.se"' in page
    assert f"{minutes} min" in page, "the start page promises the mail's time"
    problems += axe_violations(browser)
    assert not problems, "\n".join(problems)
