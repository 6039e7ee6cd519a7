"""Language: Swedish unless the visitor chose English; the choice lives in the session."""

from __future__ import annotations

from functools import cached_property, lru_cache
from urllib.parse import urlencode

import flask
from babel import Locale, support
from babel.lists import format_list
from flask import Flask, current_app, request, session, url_for
from flask_babel import Babel, get_locale, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup
from wtforms.i18n import messages_path


def init_app(app: Flask) -> None:
    Babel(app, locale_selector=_select_locale)
    app.before_request(_remember_choice)
    app.jinja_env.globals.update(current_language=current_language, language_url=language_url)
    app.jinja_env.filters["as_list"] = as_list
    app.context_processor(_template_gettext)


def _select_locale() -> Locale:
    lang = session.get("lang")
    return _locale(lang if lang in current_app.config["LANGUAGES"] else "sv")


@lru_cache(maxsize=4)
def _locale(language: str) -> Locale:
    """Parsed once per process: Flask-Babel parses a selector's string on every request
    (5 µs), and takes a :class:`Locale` as it is."""
    return Locale.parse(language)


def _remember_choice() -> None:
    """``?lang=en`` on any page switches language, so the switch needs no form or script."""
    lang = request.args.get("lang")
    if lang in current_app.config["LANGUAGES"] and session.get("lang") != lang:
        session["lang"] = lang


class Request(flask.Request):
    """Flask's request, holding WTForms' catalogue for its language once something asks."""

    @cached_property
    def wtforms_translations(self) -> support.Translations:
        """WTForms' own messages in the request's language, read from disk once per process.

        Flask-WTF would load the catalogue file anew in every request that builds a form; it
        takes the one the request holds. Looked up when a message first needs it (a refused
        form), not for every request.
        """
        return _wtforms_catalogue(current_language())


@lru_cache(maxsize=4)
def _wtforms_catalogue(language: str) -> support.Translations:
    return support.Translations.load(messages_path(), [language], domain="wtforms")


def _template_gettext() -> dict:
    """``_`` and ``gettext`` for one render, bound to the catalogue of its language.

    Flask-Babel's template ``_`` looks the catalogue up again for every message (a dozen
    request-local look-ups each, most of a page's template time); the language cannot change
    within one render, so it is looked up once here. Names in a template's context win over
    the environment's globals; a macro module imported without context still finds
    Flask-Babel's own functions, which give the same text.
    """
    return {"_": (gettext := _jinja_gettext(get_translations())), "gettext": gettext}


@lru_cache(maxsize=8)
def _jinja_gettext(translations: support.NullTranslations):
    """Jinja's newstyle ``gettext`` over one catalogue, with its semantics: under
    autoescaping the message is markup and its ``%(name)s`` values are escaped into it, and
    it is always %-formatted (``%%`` is a percent sign even without values)."""
    ugettext = translations.ugettext

    @pass_eval_context
    def gettext(eval_context, string: str, /, **variables) -> str:
        text = ugettext(string)
        return (Markup(text) if eval_context.autoescape else text) % variables

    return gettext


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
    return format_list(list(items), locale=get_locale() or _locale("sv"))
