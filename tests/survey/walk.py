"""A respondent's hands: read a questionnaire page like a browser and fill it in."""

from __future__ import annotations

from html.parser import HTMLParser

#: Answers that open every follow-up of the default instrument (exposed, did not report).
PREFERRED = {"c6": "0", "a4": "1"}


class Controls(HTMLParser):
    """The form controls of a page: radio groups, checkbox groups and text areas, in order."""

    def __init__(self, html: str) -> None:
        super().__init__()
        self.radios: dict[str, list[str]] = {}
        self.checkboxes: dict[str, list[str]] = {}
        self.texts: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "input" and a.get("type") == "radio":
            self.radios.setdefault(a["name"], []).append(a["value"])
        elif tag == "input" and a.get("type") == "checkbox":
            self.checkboxes.setdefault(a["name"], []).append(a["value"])
        elif tag == "textarea" or (tag == "input" and a.get("type") == "text"):
            self.texts.append(a["name"])


def fill(html: str, text: str = "Inga namn här.") -> dict:
    """Answers a respondent who was exposed gives: 'yes, once' in every grid row, the first
    option elsewhere (or the preferred one), two checkboxes and a short text."""
    controls = Controls(html)
    data: dict = {}
    for name, values in controls.radios.items():
        data[name] = PREFERRED.get(name, "1" if "1" in values else values[0])
    for name, values in controls.checkboxes.items():
        data[name] = values[:2]
    for name in controls.texts:
        data[name] = text
    return data


def page_id(location: str) -> str | None:
    prefix = "/svar/sida/"
    return location.removeprefix(prefix) if location.startswith(prefix) else None
