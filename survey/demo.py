"""`make demo`: a fresh demo instance with one open round, served on http://127.0.0.1:5000
(another port: `make demo PORT=5001` or ``PAVERKAN_DEMO_PORT``).

Everything lives in ``instance/demo`` (SQLite file, outbox folder of .eml files, secret) and
is recreated on every run. The mails are sent with the same operations the admin pages use,
so the outbox shows exactly what recipients would get.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import secrets
import shutil
import socket
from pathlib import Path

from sqlalchemy import select

from survey import create_app, db, demo_history, migrate, tokens
from survey.admin import operations as admin
from survey.auth.operations import add_user
from survey.config import ConfigError, numeric_setting
from survey.models import Invitation
from survey.serve import quiet_server

HOST, DEFAULT_PORT = "127.0.0.1", 5000
MUNICIPALITIES = ("Linköping", "Norrköping")
GROUPS = ("förtroendevald", "medarbetare")
RECIPIENTS = 20
ADMIN = "admin@demo.example"
#: Who reads the results: a security chief and a researcher (role, e-mail).
READERS = (("chief", "chef@demo.example"), ("researcher", "forskare@demo.example"))


def recipients_csv() -> bytes:
    """A recipient list as Swedish Excel saves it: semicolons, a header in Swedish."""
    lines = ["E-post;Kommun;Grupp;Förvaltning"]
    for number in range(RECIPIENTS):
        municipality = MUNICIPALITIES[number % 2]
        group = GROUPS[(number // 2) % 2]
        unit = "" if group == "förtroendevald" else "Socialförvaltningen"
        lines.append(f"person{number + 1:02d}@demo.example;{municipality};{group};{unit}")
    return ("\n".join(lines) + "\n").encode("utf-8")


def build(instance: Path, port: int = DEFAULT_PORT):
    """Create the demo instance; returns the app, the admin password and one respondent link.
    Links (printed and mailed) point at `port`, where `main` serves the app."""
    shutil.rmtree(instance, ignore_errors=True)
    instance.mkdir(parents=True)
    app = create_app(
        {
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": f"sqlite:///{instance / 'demo.sqlite3'}",
            "MAIL_URL": f"outbox://{instance / 'outbox'}",
            "BASE_URL": f"http://{HOST}:{port}",
            "SESSION_COOKIE_SECURE": False,
        }
    )
    migrate.upgrade(db.database(app).engine)
    password = secrets.token_urlsafe(12)
    today = dt.date.today()
    with app.app_context():
        session = db.session()
        round_ = admin.create_round(
            session,
            title=f"Otillåten påverkan {today.year} (demo)",
            reference_year=today.year - 1,
            opens_on=today,
            closes_on=today + dt.timedelta(days=30),
            municipalities=list(MUNICIPALITIES),
            groups=list(GROUPS),
        )
        admin.open_round(session, round_)
        report = admin.preview_import(session, round_, recipients_csv(), "mottagare.csv")
        admin.import_recipients(session, round_, report)
        admin.send_mailing(session, admin.start_mailing(session, round_, "invitation"))
        add_user(session, ADMIN, "admin", password)
        for role, email in READERS:
            add_user(session, email, role, reader_password(password, role))
        invitation = session.scalars(
            select(Invitation).where(Invitation.round_id == round_.id).order_by(Invitation.email)
        ).first()
        link = f"{app.config['BASE_URL']}/s/{tokens.token_for(invitation)}"
    return app, password, link


def reader_password(admin_password: str, role: str) -> str:
    """The chief's and researcher's demo passwords: derived from the admin's random one, so
    `build` keeps returning one secret and each run still has new ones."""
    return hashlib.sha256(f"{admin_password}:{role}".encode()).hexdigest()[:16]


def port_in_use(port: int) -> bool:
    """Probed the way the server binds (SO_REUSEADDR), so a port that a stopped demo left in
    TIME_WAIT counts as free."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((HOST, port))
        except OSError:
            return True
    return False


def demo_port() -> int:
    """The port to serve on, checked before anything is built: with the port taken, the
    printed link and password would lead to another program's server."""
    try:
        port = numeric_setting(os.environ, "PAVERKAN_DEMO_PORT", DEFAULT_PORT, minimum=1,
                               maximum=65535)
    except ConfigError as error:
        raise SystemExit(str(error)) from None
    if port_in_use(port):
        other = port + 1 if port < 65535 else DEFAULT_PORT
        raise SystemExit(
            f"Port {port} on {HOST} is in use by another program (an earlier demo?). Stop it, "
            f"or choose another port: make demo PORT={other} "
            f"(or PAVERKAN_DEMO_PORT={other} python -m survey.demo)."
        )
    return port


def main() -> None:
    port = demo_port()
    instance = Path.cwd() / "instance" / "demo"
    app, password, link = build(instance, port)
    base_url = app.config["BASE_URL"]
    readers = "\n".join(
        f"  Log in as {role + ':':<14} {base_url}/login  {email} / "
        f"{reader_password(password, role)}" for role, email in READERS)
    demo_history.fill_in_background(app)
    print(
        f"""
Påverkan demo: a round of the default questionnaire, {RECIPIENTS} recipients in
{" and ".join(MUNICIPALITIES)}, invitations sent to {instance / "outbox"}.

  Answer as a respondent:  {link}
  Log in as administrator: {base_url}/login  {ADMIN} / {password}
{readers}

The previous year's round ({demo_history.TOTAL} synthetic responses) is being filled and
closed in the background; its results appear at {base_url}/resultat/ in a few minutes.

Serving on {base_url} (no access log, by design). Stop with Ctrl-C.
"""
    )
    server = quiet_server(app, HOST, port)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
