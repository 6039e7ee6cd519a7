"""`make demo` for a newcomer: one command gives an open round, mails and a working link."""

from __future__ import annotations

from survey import db
from survey.demo import RECIPIENTS, build


def test_the_demo_instance_has_a_round_mails_an_admin_and_a_working_link(tmp_path):
    instance = tmp_path / "instance" / "demo"
    app, password, link = build(instance)
    mails = list((instance / "outbox").rglob("*.eml"))
    assert len(mails) == RECIPIENTS
    token = link.rsplit("/", 1)[1]
    assert any(token in mail.read_text() for mail in mails)
    client = app.test_client()
    page = client.get(link.removeprefix("http://127.0.0.1:5000"))
    assert page.status_code == 200 and "Börja enkäten" in page.text
    assert client.get("/login").status_code == 200
    assert len(password) >= 12
    db.database(app).engine.dispose()
