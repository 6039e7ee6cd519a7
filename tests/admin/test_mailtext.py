"""Mail texts: what an administrator types can never become markup or reach Python."""

from __future__ import annotations

from survey.admin.mailtext import DEFAULTS, Identity, Texts, compose, problems

LINKOPING = Identity(address="enkat@linkoping.se", organisation="Linköpings kommun",
                     contact_name="Anna Berg", contact_email="anna.berg@linkoping.se",
                     contact_phone="013-20 60 00", minutes="6–10")


def texts(**changes) -> Texts:
    base = {"subject_sv": "Enkät {title}", "subject_en": "Survey {title}",
            "body_sv": "Hej!\n\nLänk: {link}\nAvstå: {optout}",
            "body_en": "Hello!\n\nLink: {link}\nOpt out: {optout}"}
    return Texts(**{**base, **changes})


def test_the_default_texts_are_complete_in_both_languages():
    for kind in DEFAULTS:
        assert problems(Texts(**DEFAULTS[kind])) == []


def test_unknown_or_missing_placeholders_are_named():
    assert problems(texts(body_sv="Hej {namn} {link.__class__} {link}")) == [
        "missing:optout", "unknown:link.__class__", "unknown:namn",
    ]
    assert problems(texts(subject_en="Survey {link}")) == ["link_in_subject:link"]


def test_markup_in_a_text_is_shown_as_text_in_the_html_part():
    mail = compose(texts(body_sv="<script>alert(1)</script> {link} {optout}"),
                   identity=LINKOPING, to="a@example.se", title="<b>Titel</b>",
                   closes_on="2026-03-30", link="https://e.se/s/T?a=1&b=2",
                   optout="https://e.se/s/T/avsta")
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="https://e.se/s/T?a=1&amp;b=2"' in html
    assert mail["Subject"] == "Enkät <b>Titel</b> / Survey <b>Titel</b>"
    assert mail["List-Unsubscribe"] == "<https://e.se/s/T/avsta>"
    plain = mail.get_body(("plain",)).get_content()
    assert plain.index("<script>") < plain.index("In English") < plain.index("Hello!")


def test_a_mail_names_its_sender_and_contact_in_both_languages_whatever_the_text():
    """A mail from "enkat@localhost" naming nobody looks like phishing: the From header
    carries the organisation, and each language ends with the sender and the contact."""
    mail = compose(Texts(**DEFAULTS["invitation"]), identity=LINKOPING, to="a@example.se",
                   title="Otillåten påverkan", closes_on="2026-03-30",
                   link="https://e.se/s/T", optout="https://e.se/s/T/avsta")
    assert mail["From"].addresses[0].display_name == "Linköpings kommun"
    assert mail["From"].addresses[0].addr_spec == "enkat@linkoping.se"
    plain = mail.get_body(("plain",)).get_content()
    assert "Avsändare: Linköpings kommun" in plain
    assert "Frågor om enkäten: Anna Berg, anna.berg@linkoping.se, 013-20 60 00" in plain
    assert "Questions about the survey: Anna Berg" in plain
    assert "omkring 6–10 minuter" in plain and "about 6–10 minutes" in plain
    assert "15 minuter" not in plain
    html = mail.get_body(("html",)).get_content()
    assert "Frågor om enkäten: Anna Berg" in html
