"""A respondent in Chromium on a phone (375 px) and a desktop (1280 px), in Swedish and in
English: a language switch keeps a half-filled page, someone who reported death threats is
offered only the kinds reported and meets support, the review is short with Send at both
ends, and a double-clicked Send ends on the thanks. axe finds nothing on any of the pages."""

from __future__ import annotations

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from tests.survey.test_browser import (  # noqa: F401  (fixtures)
    answer,
    axe_violations,
    browser,
    click_and_wait,
    live,
    press,
)
from tests.survey.walk import Controls, fill

pytestmark = pytest.mark.browser

SAYS = {
    "sv": {"support": "Här kan du få stöd", "review": "Kontrollera dina svar",
           "send": "Skicka in mina svar", "thanks": "Tack för dina svar", "other": "en",
           "other_title": "Your office or work"},
    "en": {"support": "Where to turn for support", "review": "Check your answers",
           "send": "Send my answers", "thanks": "Thank you for your answers", "other": "sv",
           "other_title": "Ditt uppdrag eller arbete"},
}
#: Death threats (b6) and threats of violence (b5) reported; every other kind "no".
EXPOSURE = {f"b{i}": "0" for i in range(1, 12)} | {"b5": "1", "b6": "2"}


def fits(driver, width: int) -> bool:
    return driver.execute_script("return document.documentElement.scrollWidth") <= width


@pytest.mark.parametrize(("width", "lang", "link"),
                         [(375, "sv", 0), (375, "en", 1), (1280, "sv", 2), (1280, "en", 3)])
def test_a_respondent_who_reported_threats_is_supported_and_sends_once(
    live, browser, width, lang, link  # noqa: F811
):
    says = SAYS[lang]
    problems: list[str] = []
    browser.delete_all_cookies()
    browser.set_window_size(width, 900)
    browser.get(f"{live.base}/s/{live.links[link]}?lang={lang}")
    assert says["support"] in browser.page_source
    problems += axe_violations(browser)
    click_and_wait(browser, "form button[type=submit]")

    # Half of the first page, then the language switch in the header: the answer stays.
    assert browser.current_url.endswith("/svar/sida/role")
    answer(browser, {"a2": "1"})
    click_and_wait(browser, f'header button[value="lang-{says["other"]}"]')
    assert says["other_title"] in browser.page_source
    assert browser.find_element(By.ID, "a2-1").is_selected()
    problems += axe_violations(browser)
    click_and_wait(browser, f'header button[value="lang-{lang}"]')
    assert browser.find_element(By.ID, "a2-1").is_selected()

    while "/svar/sida/" in browser.current_url:
        page_id = browser.current_url.rsplit("/", 1)[1]
        data = fill(browser.page_source)
        data.update({k: v for k, v in EXPOSURE.items() if k in data})
        if page_id == "incident_what":
            assert Controls(browser.page_source).radios["c1"] == ["5", "6", "99"]
            assert says["support"] in browser.page_source
            assert "112" in browser.page_source and "116 006" in browser.page_source
            data["c1"] = "6"
        else:
            assert says["support"] not in browser.page_source, page_id
        assert fits(browser, width), page_id
        problems += axe_violations(browser)
        answer(browser, data)
        press(browser, "next")

    assert says["review"] in browser.page_source
    sends = browser.find_elements(By.CSS_SELECTOR, 'button[value="submit"]')
    assert [b.text for b in sends] == [says["send"]] * 2
    top = browser.execute_script("return arguments[0].getBoundingClientRect().top", sends[0])
    assert top < 900, "Send is on the first screen"
    assert fits(browser, width)
    problems += axe_violations(browser)

    browser.execute_script("document.documentElement.dataset.left = 'yes';"
                           "const b = arguments[0]; b.click(); b.click();", sends[0])
    WebDriverWait(browser, 20).until(lambda d: d.current_url.endswith("/svar/tack"))
    WebDriverWait(browser, 20).until(
        lambda d: d.execute_script("return document.readyState === 'complete'"))
    assert says["thanks"] in browser.page_source
    assert says["support"] in browser.page_source
    problems += axe_violations(browser)
    assert not problems, "\n".join(problems)
