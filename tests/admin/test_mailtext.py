"""Mail texts: what an administrator types can never become markup or reach Python."""

from __future__ import annotations

from survey.admin.mailtext import DEFAULTS, Texts, compose, problems


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
                   sender="enkat@linkoping.se", to="a@example.se", title="<b>Titel</b>",
                   closes_on="2026-03-30", link="https://e.se/s/T?a=1&b=2",
                   optout="https://e.se/s/T/avsta")
    html = mail.get_body(("html",)).get_content()
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert 'href="https://e.se/s/T?a=1&amp;b=2"' in html
    assert mail["Subject"] == "Enkät <b>Titel</b> / Survey <b>Titel</b>"
    assert mail["List-Unsubscribe"] == "<https://e.se/s/T/avsta>"
    plain = mail.get_body(("plain",)).get_content()
    assert plain.index("<script>") < plain.index("In English") < plain.index("Hello!")
