"""Fixtures for the administration tests: a real SMTP server on localhost (aiosmtpd), real TLS,
and the app served on 127.0.0.1 for the browser tests."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import Message
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from survey import db, migrate
from survey.serve import quiet_server
from tests.conftest import make_test_app

USER, PASSWORD = "utskick", "hemligt losen 42"


@dataclass
class Recorder:
    """Keeps what the server accepted; `drop_after` hangs up when mail n+1 begins (at RCPT),
    `drop_in_data_after` once its whole content has arrived, before answering; `refuse` answers
    RCPT for an address with the given reply."""

    drop_after: int | None = None
    drop_in_data_after: int | None = None
    refuse: dict[str, str] = field(default_factory=dict)
    messages: list[Message] = field(default_factory=list)
    logins: list[str] = field(default_factory=list)

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.drop_after is not None and len(self.messages) >= self.drop_after:
            server.transport.close()
            return "421 gone"
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.drop_in_data_after is not None and len(self.messages) >= self.drop_in_data_after:
            server.transport.close()
            return "421 gone"
        self.messages.append(message_from_bytes(envelope.content, policy=policy.default))
        return "250 Message accepted"

    def recipients(self) -> list[str]:
        return [m["To"] for m in self.messages]


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1/localhost that is its own CA, so the client can verify it."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.SubjectAlternativeName(
                [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
            ),
            critical=False,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    cert_path, key_path = directory / "cert.pem", directory / "key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert_path, key_path


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def authenticator(server, session, envelope, mechanism, auth_data):
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login.decode() == USER
        and auth_data.password.decode() == PASSWORD
    )
    if ok:
        server.event_handler.logins.append(mechanism)
    return AuthResult(success=ok, handled=False)


def start(recorder: Recorder, mode: str, cert_dir: Path) -> tuple[Controller, str]:
    """mode: 'plain', 'starttls' (required, with AUTH LOGIN) or 'smtps' (implicit TLS).
    Returns the controller and the PAVERKAN_MAIL_URL that reaches it."""
    port = free_port()
    kwargs: dict = {}
    credentials = ""
    query = "?rate=1000&timeout=5"
    if mode != "plain":
        cert, key = self_signed_certificate(cert_dir)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(cert, key)
        query += f"&cafile={cert}"
        if mode == "starttls":
            kwargs.update(tls_context=context, require_starttls=True, authenticator=authenticator,
                          auth_required=True, auth_exclude_mechanism=["PLAIN"])
            credentials = f"{USER}:{PASSWORD.replace(' ', '%20')}@"
        else:
            # aiosmtpd does not count implicit TLS as TLS for AUTH, so smtps runs without login.
            kwargs.update(ssl_context=context)
    if mode == "plain":
        query += "&tls=none"
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    scheme = "smtps" if mode == "smtps" else "smtp"
    return controller, f"{scheme}://{credentials}127.0.0.1:{port}{query}"


@pytest.fixture
def smtp_server(tmp_path):
    """Start SMTP servers: `recorder, url = smtp_server("starttls", drop_after=3)`."""
    started = []

    def run(mode: str = "plain", **recorder_options) -> tuple[Recorder, str]:
        recorder = Recorder(**recorder_options)
        controller, url = start(recorder, mode, tmp_path)
        started.append(controller)
        return recorder, url

    yield run
    for controller in started:
        controller.stop()


# Staff and rounds


PASSWORD_OF = "ett långt lösenord"


@pytest.fixture
def login(app, db_session):
    """`login(client, role)`: create a staff member with `role` and log in through the page."""
    from survey.auth import operations

    def run(client, role: str = "admin", email: str | None = None):
        email = email or f"{role}@kommun.example.se"
        if operations.find_user(db_session, email) is None:
            operations.add_user(db_session, email, role, PASSWORD_OF)
        response = client.submit("/login", {"email": email, "password": PASSWORD_OF})
        assert response.status_code == 302, response.text
        return client

    return run


@pytest.fixture
def admin_client(client, login):
    return login(client, "admin")


@pytest.fixture
def open_round(db_session):
    """An open round of the default instrument in Linköping and Norrköping."""
    import datetime as dt

    from survey.admin import operations

    round_ = operations.create_round(
        db_session,
        title="Otillåten påverkan 2026",
        reference_year=2025,
        opens_on=dt.date.today() - dt.timedelta(days=1),
        closes_on=dt.date.today() + dt.timedelta(days=30),
        municipalities=["Linköping", "Norrköping"],
        groups=["förtroendevald", "medarbetare"],
    )
    operations.open_round(db_session, round_)
    return round_


def recipient_csv(n: int, start: int = 0) -> bytes:
    """A clean list as Swedish Excel saves it: cp1252, semicolons."""
    rows = ["E-post;Kommun;Grupp;Enhet"]
    for i in range(start, start + n):
        rows.append(f"person{i}@example.se;{('Linköping', 'Norrköping')[i % 2]};"
                    f"{('förtroendevald', 'medarbetare')[i % 3 == 0]};Enhet {i % 2}")
    return ("\r\n".join(rows) + "\r\n").encode("cp1252")


@pytest.fixture
def with_recipients(app, db_session, open_round):
    """`with_recipients(n)`: import n clean recipients into the open round."""
    from survey.admin import operations

    def run(n: int, start: int = 0):
        with app.app_context():
            report = operations.preview_import(db_session, open_round,
                                               recipient_csv(n, start), "lista.csv")
            return operations.import_recipients(db_session, open_round, report)

    return run



# The app served for a browser


@contextmanager
def served(app) -> Iterator[str]:
    """The app on a server thread at 127.0.0.1 (its address yielded), stopped afterwards."""
    server = quiet_server(app)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
        db.database(app).engine.dispose()


@dataclass
class LiveSite:
    """What `live_site` made: the served address, the app, its rounds' ids and its folder."""

    base: str
    app: object
    rounds: list[int]
    folder: Path


@pytest.fixture(scope="module")
def live_site(tmp_path_factory):
    """`live_site(name, rounds, mail_url=None, researcher=False)`: the app served on
    127.0.0.1 on a new SQLite database, with the admin admin@kommun.se (and the researcher
    forskare@kommun.se) and one open round per entry of `rounds`. An entry holds
    `create_round`'s keywords (title; dates, municipalities and groups default to a round open
    from today for 30 days in Linköping and Norrköping) and may add `recipients` (a list to
    import) and `send` (send its invitations). Served until the module's tests are done."""
    from survey.admin import operations
    from survey.auth import operations as accounts

    with ExitStack() as stack:

        def make(name: str, rounds: list[dict], mail_url: str | None = None,
                 researcher: bool = False) -> LiveSite:
            folder = tmp_path_factory.mktemp(name)
            extra = {"MAIL_URL": mail_url} if mail_url else {}
            app = make_test_app(f"sqlite:///{folder / 'live.sqlite3'}", folder, **extra)
            migrate.upgrade(db.database(app).engine)
            ids = []
            with app.app_context():
                session = db.session()
                accounts.add_user(session, "admin@kommun.se", "admin", PASSWORD_OF)
                if researcher:
                    accounts.add_user(session, "forskare@kommun.se", "researcher", PASSWORD_OF)
                for entry in rounds:
                    options = dict(entry)
                    recipients, send = options.pop("recipients", None), options.pop("send", False)
                    round_ = operations.create_round(session, **{
                        "reference_year": 2025, "opens_on": datetime.date.today(),
                        "closes_on": datetime.date.today() + datetime.timedelta(days=30),
                        "municipalities": ["Linköping", "Norrköping"],
                        "groups": ["förtroendevald", "medarbetare"], **options})
                    operations.open_round(session, round_)
                    if recipients is not None:
                        report = operations.preview_import(session, round_, recipients, "lista.csv")
                        operations.import_recipients(session, round_, report)
                    if send:
                        operations.send_mailing(
                            session, operations.start_mailing(session, round_, "invitation"))
                    ids.append(round_.id)
            return LiveSite(stack.enter_context(served(app)), app, ids, folder)

        yield make
