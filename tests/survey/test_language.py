"""Swedish first, English complete: every respondent-facing string has its Swedish text."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

SURVEY = Path(__file__).resolve().parents[2] / "survey"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def test_every_user_facing_string_has_a_swedish_translation():
    with (SURVEY / "translations/sv/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f, locale="sv")
    missing = []
    for filename, _line, message, _comments, _context in extract_from_dir(SURVEY, METHODS):
        msgid = message if isinstance(message, str) else message[0]
        entry = catalogue.get(msgid)
        if entry is None or not entry.string or entry.fuzzy:
            missing.append(f"{filename}: {msgid}")
    assert not missing, "\n".join(missing)


def test_the_compiled_catalogue_is_current():
    """The .mo file is committed; it must say what the .po file says."""
    from babel.messages.mofile import read_mo

    po_path = SURVEY / "translations/sv/LC_MESSAGES/messages.po"
    with po_path.open("rb") as f:
        po = {m.id: m.string for m in read_po(f) if m.id and m.string and not m.fuzzy}
    with po_path.with_suffix(".mo").open("rb") as f:
        mo = {m.id: m.string for m in read_mo(f) if m.id}
    assert po == mo
