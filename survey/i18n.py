"""Language: Swedish unless the visitor chose English; the choice lives in the session."""

from __future__ import annotations

from urllib.parse import urlencode

from babel.lists import format_list
from flask import Flask, current_app, request, session, url_for
from flask_babel import Babel, get_locale


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=_select_locale)
    app.before_request(_remember_choice)
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
