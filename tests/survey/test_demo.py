"""`make demo` for a newcomer: one command gives an open round, mails and a working link."""

from __future__ import annotations

import socket
import subprocess
from email import message_from_bytes, policy
from pathlib import Path

import pytest

from survey import db
from survey.demo import RECIPIENTS, build, main

ROOT = Path(__file__).resolve().parents[2]


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


def test_a_busy_port_stops_the_demo_before_it_builds_or_prints_a_password(
    tmp_path, monkeypatch, capsys
):
    """Another server on the port would answer the printed link: say so before anything."""
    monkeypatch.chdir(tmp_path)
    with socket.socket() as other_server:
        other_server.bind(("127.0.0.1", 0))
        other_server.listen()
        port = other_server.getsockname()[1]
        monkeypatch.setenv("PAVERKAN_DEMO_PORT", str(port))
        with pytest.raises(SystemExit) as stop:
            main()
    message = str(stop.value.code)
    assert f"Port {port} " in message and "make demo PORT=" in message
    assert not (tmp_path / "instance").exists()
    assert capsys.readouterr().out == ""


def test_a_demo_port_that_is_not_a_port_is_named(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PAVERKAN_DEMO_PORT", "80a")
    with pytest.raises(SystemExit) as stop:
        main()
    assert "PAVERKAN_DEMO_PORT='80a'" in str(stop.value.code)
    assert not (tmp_path / "instance").exists()


def test_the_demo_on_another_port_links_and_mails_that_port(tmp_path):
    instance = tmp_path / "instance" / "demo"
    app, _password, link = build(instance, port=5099)
    assert link.startswith("http://127.0.0.1:5099/s/")
    for path in (instance / "outbox").rglob("*.eml"):
        mail = message_from_bytes(path.read_bytes(), policy=policy.default)
        assert "http://127.0.0.1:5099/s/" in mail.get_body(("plain",)).get_content()
    db.database(app).engine.dispose()


def test_make_demo_passes_its_port_to_the_demo():
    def dry_run(*args):
        return subprocess.run(["make", "-n", "demo", *args], cwd=ROOT, check=True,
                              capture_output=True, text=True).stdout

    assert "PAVERKAN_DEMO_PORT=5001 " in dry_run("PORT=5001")
    assert "PAVERKAN_DEMO_PORT" not in dry_run(), "without PORT the environment decides"
