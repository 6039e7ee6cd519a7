"""Mail transports: an outbox folder of .eml files (default) or SMTP, chosen by a URL.

`PAVERKAN_MAIL_URL` is one of
  outbox:///abs/path/to/folder          one .eml file per mail, written atomically
  smtp://user:pass@host:587?rate=5      STARTTLS when the server offers it, then login
  smtps://user:pass@host:465            implicit TLS
Query parameters: `rate` (mails per second, a ceiling), `cafile` (trust this CA instead of the
system's, for an internal relay), `timeout` (seconds), `tls=none` (allow a relay without
STARTTLS: every mail carries a personal link, so clear text must be asked for by name).

The transport knows nothing of rounds or invitations. The sending operation opens one
connection per batch (`with transport.connect() as connection:`), calls `connection.send()` for
each mail, and records the outcome; this module only says which outcome it was:

- `PermanentFailure`: the server said 5xx for this recipient or message (counted as bounced),
- `TemporaryFailure`: 4xx, or the connection dropped (`connection_lost`); retry later,
- `TransportError`: we cannot send at all (connection refused, TLS, login); nothing about any
  recipient is known, so nothing may be marked bounced,
- `UncertainDelivery`: the connection broke while the server held the whole message.
"""

from __future__ import annotations

import os
import smtplib
import ssl
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit


class MailError(Exception):
    """Base of the three outcomes the sender distinguishes."""

    def __init__(self, message: str, code: int | None = None) -> None:
        super().__init__(message)
        self.code = code


class TemporaryFailure(MailError):
    def __init__(self, message: str, code: int | None = None, connection_lost: bool = False):
        super().__init__(message, code)
        self.connection_lost = connection_lost


class PermanentFailure(MailError):
    pass


class TransportError(MailError):
    pass


class UncertainDelivery(MailError):
    """The connection broke after the message was handed over but before the server said it
    had it: it may or may not be delivered. Resending risks a duplicate; the sender must not
    resend without a person deciding to."""

    connection_lost = True


class Connection:
    """One open channel to the mail system; `send` raises one of the failures above."""

    def send(self, message: EmailMessage, key: str) -> None:
        raise NotImplementedError


class _RateLimit:
    """Spaces sends at least 1/rate seconds apart, so a relay's limits are never hit."""

    def __init__(self, rate: float | None) -> None:
        self.interval = 1.0 / rate if rate else 0.0
        self.next_at = 0.0

    def wait(self) -> None:
        if not self.interval:
            return
        now = time.monotonic()
        if now < self.next_at:
            time.sleep(self.next_at - now)
            now = self.next_at
        self.next_at = now + self.interval


@dataclass(frozen=True)
class OutboxTransport:
    """Writes each mail to `<path>/<key>.eml`. Keys may contain '/' to group mails per round,
    so closing a round can remove exactly that round's files."""

    path: Path
    rate: float | None = None

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        yield _OutboxConnection(self.path, _RateLimit(self.rate))

    def describe(self) -> str:
        return f"outbox {self.path}"


class _OutboxConnection(Connection):
    def __init__(self, path: Path, limit: _RateLimit) -> None:
        self.path = path
        self.limit = limit

    def send(self, message: EmailMessage, key: str) -> None:
        self.limit.wait()
        target = self.path / f"{key}.eml"
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            # Write then rename: a reader (or a crash) never sees half a mail.
            fd, temporary = tempfile.mkstemp(dir=target.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(bytes(message))
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(temporary, target)
        except OSError as error:
            raise TransportError(f"cannot write to the outbox: {error.strerror}") from None


@dataclass(frozen=True)
class SMTPTransport:
    host: str
    port: int
    username: str | None = None
    password: str | None = None
    implicit_tls: bool = False
    cafile: str | None = None
    rate: float | None = None
    timeout: float = 30.0
    require_tls: bool = True

    def _tls_context(self) -> ssl.SSLContext:
        return ssl.create_default_context(cafile=self.cafile)

    @contextmanager
    def connect(self) -> Iterator[Connection]:
        client = None
        try:
            if self.implicit_tls:
                client = smtplib.SMTP_SSL(self.host, self.port, timeout=self.timeout,
                                          context=self._tls_context())
            else:
                client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            client.ehlo()
            if not self.implicit_tls and client.has_extn("starttls"):
                client.starttls(context=self._tls_context())
                client.ehlo()
            if not isinstance(client.sock, ssl.SSLSocket) and (
                self.require_tls or self.username
            ):
                raise TransportError("the server does not offer STARTTLS; refusing to send "
                                     "links or a password in clear text (tls=none allows "
                                     "links, never a password)")
            if self.username:
                # smtplib sends credentials as ASCII only.
                client.login(self.username, self.password or "")
        except (smtplib.SMTPException, OSError, ssl.SSLError, UnicodeError) as error:
            if client is not None:
                client.close()
            if isinstance(error, smtplib.SMTPAuthenticationError):
                raise TransportError("login refused by the mail server", error.smtp_code) from None
            raise TransportError(f"cannot connect to {self.host}:{self.port}: {error}") from None
        except TransportError:
            client.close()
            raise
        connection = _SMTPConnection(client, _RateLimit(self.rate))
        try:
            yield connection
        finally:
            connection.close()

    def describe(self) -> str:
        scheme = "smtps" if self.implicit_tls else "smtp"
        return f"{scheme}://{self.host}:{self.port}"


class _SMTPConnection(Connection):
    """Runs each SMTP transaction step by step, so a dropped connection can be placed: before
    DATA nothing was delivered (safe to resend); during DATA the server may have taken it."""

    def __init__(self, client: smtplib.SMTP, limit: _RateLimit) -> None:
        self.client: smtplib.SMTP | None = client
        self.limit = limit

    def send(self, message: EmailMessage, key: str) -> None:
        if self.client is None:
            raise TemporaryFailure("connection lost", connection_lost=True)
        sender, recipient = message["From"].addresses[0], message["To"].addresses[0]
        sender, recipient = sender.addr_spec, recipient.addr_spec
        options = []
        if not (sender.isascii() and recipient.isascii()):
            if not self.client.has_extn("smtputf8"):
                raise PermanentFailure("the server cannot take this non-ASCII address")
            options = ["SMTPUTF8", "BODY=8BITMIME"]
        self.limit.wait()
        try:
            code, _ = self.client.mail(sender, options)
            if code != 250:
                self._reset()
                raise TransportError("sender address refused", code)
            code, _ = self.client.rcpt(recipient)
            if code not in (250, 251):
                self._reset()
                raise _classified(code, "recipient refused")
        except (smtplib.SMTPServerDisconnected, OSError):
            self._lost()
            raise TemporaryFailure("connection lost", connection_lost=True) from None
        try:
            code, _ = self.client.data(message.as_bytes(policy=message.policy.clone(
                linesep="\r\n", utf8=bool(options))))
        except smtplib.SMTPDataError as error:
            self._reset()
            raise _classified(error.smtp_code, "message refused") from None
        except (smtplib.SMTPServerDisconnected, OSError):
            self._lost()
            raise UncertainDelivery("connection lost during DATA") from None
        if code == 421:
            self._lost()
            raise UncertainDelivery("server closed the connection after DATA", code)
        if code != 250:
            self._reset()
            raise _classified(code, "message refused")

    def _reset(self) -> None:
        try:
            self.client.rset()
        except (smtplib.SMTPException, OSError):
            self._lost()

    def _lost(self) -> None:
        if self.client is not None:
            self.client.close()
        self.client = None

    def close(self) -> None:
        if self.client is None:
            return
        try:
            self.client.quit()
        except (smtplib.SMTPException, OSError):
            self.client.close()
        self.client = None


def _classified(code: int, what: str) -> MailError:
    """RFC 5321: 5yz is a permanent negative reply, 4yz a transient one."""
    if 500 <= code < 600:
        return PermanentFailure(f"{what} ({code})", code)
    return TemporaryFailure(f"{what} ({code})", code)


def transport_from_url(url: str | None, default_outbox: Path) -> OutboxTransport | SMTPTransport:
    """Build the transport `url` names; no URL means the outbox folder `default_outbox`."""
    if not url:
        return OutboxTransport(Path(default_outbox))
    parts = urlsplit(url)
    query = {k: v[-1] for k, v in parse_qs(parts.query).items()}
    unknown = set(query) - {"rate", "cafile", "timeout", "tls"}
    if unknown:
        raise ValueError(f"unknown mail URL parameter(s): {', '.join(sorted(unknown))}")
    rate = float(query["rate"]) if "rate" in query else None
    if parts.scheme == "outbox":
        return OutboxTransport(Path(unquote(parts.path)) if parts.path else Path(default_outbox),
                               rate=rate)
    if parts.scheme in ("smtp", "smtps"):
        if not parts.hostname:
            raise ValueError("the mail URL needs a host, e.g. smtp://user:pass@mail.example:587")
        implicit = parts.scheme == "smtps"
        return SMTPTransport(
            host=parts.hostname,
            port=parts.port or (465 if implicit else 587),
            username=unquote(parts.username) if parts.username else None,
            password=unquote(parts.password) if parts.password else None,
            implicit_tls=implicit,
            cafile=query.get("cafile"),
            rate=rate if rate is not None else 10.0,
            timeout=float(query.get("timeout", 30)),
            require_tls=query.get("tls") != "none",
        )
    raise ValueError(f"unknown mail URL scheme {parts.scheme!r}: use outbox, smtp or smtps")
