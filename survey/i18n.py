"""Language: Swedish unless the visitor chose English; the choice lives in the session."""

from __future__ import annotations

from functools import lru_cache
from urllib.parse import urlencode

from babel import support
from babel.lists import format_list
from flask import Flask, current_app, request, session, url_for
from flask_babel import Babel, get_locale
from wtforms.i18n import messages_path


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=_select_locale)
    app.before_request(_remember_choice)
    app.before_request(_wtforms_messages)
    app.jinja_env.globals.update(current_language=current_language, language_url=language_url)
    app.jinja_env.filters["as_list"] = as_list


def _select_locale() -> str:
    lang = session.get("lang")
    return lang if lang in current_app.config["LANGUAGES"] else "sv"


def _remember_choice() -> None:
    """``?lang=en`` on any page switches language, so the switch needs no form or script."""
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"] and session.get("lang") != lang:
        session["lang"] = lang


def _wtforms_messages() -> None:
    """WTForms' own messages in the request's language, read from disk once per process.

    Flask-WTF would load the catalogue file anew in every request that builds a form; it
    takes one already set on the request (``request.wtforms_translations``).
    """
    request.wtforms_translations = _wtforms_catalogue(current_language())


@lru_cache(maxsize=4)
def _wtforms_catalogue(language: str) -> support.Translations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


def current_language() -> str:
    return str(get_locale() or "sv")


def language_url(lang: str) -> str:
    """The current page in another language (same address and query, ``lang=`` replaced).

    The query is encoded here, not handed to ``url_for``: there a parameter named
    ``_method``, ``_anchor`` or ``_external`` would be read as an instruction (a 500)."""
    path = request.path
    if request.endpoint and request.method == "GET" and request.url_rule is not None:
        path = url_for(request.endpoint, **request.view_args)
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return f"{path}?{urlencode([*query, ('lang', lang)])}"


def as_list(items: list[str]) -> str:
    """"Linköping och Norrköping" / "Linköping and Norrköping": the language's own list form."""
    return format_list(list(items), locale=current_language())
