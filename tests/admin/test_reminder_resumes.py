"""The reminder's link is the invitation's link, and it resumes the same draft.

Through the real mail path (the outbox transport writes each mail as an .eml file): the
respondent answers two pages from the invitation mail, stops, gets the reminder and opens
its link on another device.
"""

from __future__ import annotations

import re
from email import message_from_bytes, policy
from pathlib import Path

from survey.admin import operations
from tests.survey.test_respondent import answer_pages, start

LINK = re.compile(r"https?://[^/\s]+/s/([A-Za-z0-9_-]+)(?=[\s<\"])")


def _send(app, db_session, round_, kind: str) -> Path:
    """Send a mailing to the outbox; returns the one new mail file."""
    outbox = Path(app.instance_path) / "outbox"
    before = set(outbox.rglob("*.eml"))
    with app.app_context():
        result = operations.send_mailing(
            db_session, operations.start_mailing(db_session, round_, kind))
    assert result.sent == 1
    [mail] = set(outbox.rglob("*.eml")) - before
    return mail


def _link(mail: Path) -> str:
    """The personal link of a mail's plain-text body, as the respondent would click it."""
    body = message_from_bytes(mail.read_bytes(), policy=policy.default)
    [token] = set(LINK.findall(body.get_body(("plain",)).get_content()))
    return token


def test_the_reminder_carries_the_invitations_link_and_resumes_the_same_draft(
    app, client, db_session, open_round, with_recipients
):
    with_recipients(1)
    invited = _link(_send(app, db_session, open_round, "invitation"))
    phone_stopped_at, answered = answer_pages(client, start(client, invited), stop_after=2)
    assert len(answered) == 2
    first_page = client.get(f"/svar/sida/{answered[0]}").text

    reminded = _link(_send(app, db_session, open_round, "reminder"))
    assert reminded == invited

    desktop = app.test_client()
    assert start(desktop, reminded) == phone_stopped_at, "resumes where the phone stopped"
    assert desktop.get(f"/svar/sida/{answered[0]}").text.count("checked") == first_page.count(
        "checked") > 0, "the answers given on the phone are there"
