"""Mail transports against a real SMTP server on localhost and a real outbox folder."""

from __future__ import annotations

import dataclasses
import time
from email.message import EmailMessage
from email.parser import BytesParser

import pytest

from survey.mail import (
    OutboxTransport,
    PermanentFailure,
    TemporaryFailure,
    TransportError,
    UncertainDelivery,
    transport_from_url,
)


def mail(to: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = "enkat@linkoping.se"
    message["To"] = to
    message["Subject"] = "Enkät om otillåten påverkan"
    message.set_content("Hej! Länk: https://enkat.example/s/abc")
    return message


@pytest.fixture
def smtp(smtp_server, tmp_path):
    def run(mode="plain", **recorder_options):
        recorder, url = smtp_server(mode, **recorder_options)
        return recorder, transport_from_url(url, tmp_path / "unused")

    return run


def test_plain_smtp_sends_a_batch_over_one_connection(smtp):
    recorder, transport = smtp("plain")
    with transport.connect() as connection:
        for i in range(3):
            connection.send(mail(f"p{i}@example.se"), f"k{i}")
    assert recorder.recipients() == ["p0@example.se", "p1@example.se", "p2@example.se"]


def test_starttls_with_auth_login_verifies_the_servers_certificate(smtp):
    recorder, transport = smtp("starttls")
    with transport.connect() as connection:
        connection.send(mail("åsa@example.se"), "k")
    assert recorder.logins == ["LOGIN"]
    assert recorder.recipients() == ["åsa@example.se"]


def test_smtps_uses_implicit_tls(smtp):
    recorder, transport = smtp("smtps")
    with transport.connect() as connection:
        connection.send(mail("a@example.se"), "k")
    assert recorder.recipients() == ["a@example.se"]


def test_an_untrusted_certificate_stops_before_any_mail(smtp):
    recorder, transport = smtp("starttls")
    untrusted = dataclasses.replace(transport, cafile=None)
    with pytest.raises(TransportError):
        with untrusted.connect():
            pass
    assert recorder.messages == []


def test_a_wrong_password_stops_before_any_mail(smtp):
    recorder, transport = smtp("starttls")
    with pytest.raises(TransportError, match="login"):
        with dataclasses.replace(transport, password="fel").connect():
            pass
    assert recorder.messages == []


def test_replies_are_classified_as_permanent_or_temporary(smtp):
    recorder, transport = smtp(
        "plain", refuse={"gone@example.se": "550 No such user", "full@example.se": "452 Full"}
    )
    with transport.connect() as connection:
        with pytest.raises(PermanentFailure):
            connection.send(mail("gone@example.se"), "a")
        with pytest.raises(TemporaryFailure) as temporary:
            connection.send(mail("full@example.se"), "b")
        assert not temporary.value.connection_lost
        connection.send(mail("ok@example.se"), "c")
    assert recorder.recipients() == ["ok@example.se"]


def test_a_dropped_connection_is_a_temporary_failure_that_ends_the_batch(smtp):
    recorder, transport = smtp("plain", drop_after=2)
    with transport.connect() as connection:
        connection.send(mail("a@example.se"), "a")
        connection.send(mail("b@example.se"), "b")
        with pytest.raises(TemporaryFailure) as error:
            connection.send(mail("c@example.se"), "c")
        assert error.value.connection_lost
        with pytest.raises(TemporaryFailure):
            connection.send(mail("d@example.se"), "d")
    assert recorder.recipients() == ["a@example.se", "b@example.se"]


def test_a_connection_lost_after_the_content_was_sent_is_an_uncertain_delivery(smtp):
    """The server may have the mail: resending could give the person two."""
    recorder, transport = smtp("plain", drop_in_data_after=1)
    with transport.connect() as connection:
        connection.send(mail("a@example.se"), "a")
        with pytest.raises(UncertainDelivery):
            connection.send(mail("b@example.se"), "b")
    assert recorder.recipients() == ["a@example.se"]


def test_the_outbox_writes_one_complete_eml_per_mail(tmp_path):
    transport = transport_from_url(f"outbox://{tmp_path}/ut", tmp_path / "unused")
    assert transport == OutboxTransport(tmp_path / "ut")
    with transport.connect() as connection:
        connection.send(mail("a@example.se"), "round-1/42")
    files = list((tmp_path / "ut").rglob("*"))
    assert [f.relative_to(tmp_path / "ut").as_posix() for f in files if f.is_file()] == [
        "round-1/42.eml"
    ]
    parsed = BytesParser().parsebytes((tmp_path / "ut/round-1/42.eml").read_bytes())
    assert parsed["To"] == "a@example.se"


@pytest.mark.parametrize(
    "url", ["ftp://host", "smtp://", "smtp://host?bogus=1"]
)
def test_a_bad_mail_url_is_refused_with_a_reason(url, tmp_path):
    with pytest.raises(ValueError):
        transport_from_url(url, tmp_path)


def test_no_url_means_the_default_outbox(tmp_path):
    assert transport_from_url(None, tmp_path) == OutboxTransport(tmp_path)


def test_the_rate_limit_spaces_the_mails(tmp_path):
    transport = transport_from_url(f"outbox://{tmp_path}?rate=50", tmp_path)
    start = time.monotonic()
    with transport.connect() as connection:
        for i in range(6):
            connection.send(mail(f"p{i}@example.se"), f"k{i}")
    assert time.monotonic() - start >= 5 / 50
