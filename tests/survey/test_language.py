"""Swedish first, English complete: every respondent-facing string has its Swedish text."""

from __future__ import annotations

from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parents[2]
SURVEY = ROOT / "survey"
METHODS = [("**.py", "python"), ("**/templates/**.html", "jinja2")]


def _messages():
    """survey/'s strings, and the questionnaire loader's problems (marked ``N_``), which the
    admin pages show translated."""
    yield from extract_from_dir(SURVEY, METHODS)
    yield from extract_from_dir(ROOT / "questionnaires", [("**.py", "python")])


def test_every_user_facing_string_has_a_swedish_translation():
    with (SURVEY / "translations/sv/LC_MESSAGES/messages.po").open("rb") as f:
        catalogue = read_po(f, locale="sv")
    missing = []
    for filename, _line, message, _comments, _context in _messages():
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
