"""Application factory (flaskr's shape): defaults, then the instance folder, then test config."""

from __future__ import annotations

from flask import Flask, current_app, render_template, request, session
from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

from survey import db, i18n, logs, migrate
from survey.auth import drafts
from survey.auth.decorators import current_user
from survey.config import Config
from survey.respondent import access as respondent_access
from survey.sessions import ServerSessionInterface

CONTENT_SECURITY_POLICY = (
    "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
    "frame-ancestors 'none'; base-uri 'none'"
)


#: A year; sent only over https (a browser ignores it over http, and it must not pin a
#: development server on localhost to https).
STRICT_TRANSPORT_SECURITY = "max-age=31536000"


class DatabaseIdConverter(IntegerConverter):
    """``<int:...>`` in every route, bounded to what an id column holds (PostgreSQL's
    ``integer``): a larger number in an address is a page that does not exist (404), not a
    value the database driver refuses (a 500)."""

    def __init__(self, url_map, fixed_digits=0, min=None, max=2**31 - 1, signed=False):
        super().__init__(url_map, fixed_digits=fixed_digits, min=min, max=max, signed=signed)


class Paverkan(Flask):
    request_class = i18n.Request

    def log_exception(self, exc_info) -> None:
        """Flask logs the full path of a failing request; ours may hold a link token."""
        self.logger.error(
            "Exception on %s [%s]", logs.redact(request.path), request.method, exc_info=exc_info
        )


def create_app(test_config: dict | None = None) -> Flask:
    # Tests (and the demo) put the instance folder elsewhere: it holds the secret and data.
    instance_path = (test_config or {}).get("INSTANCE_PATH")
    app = Paverkan(__name__, instance_relative_config=True, instance_path=instance_path)
    app.config.from_object(Config(app.instance_path))
    app.config.from_pyfile("config.py", silent=True)
    if test_config:
        app.config.update(test_config)

    # Request lines carry client addresses and paths with tokens; SQL echo carries token
    # hashes and markers: never log them.
    logs.install()

    if app.config["PROXY_COUNT"]:
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)
    app.url_map.converters["int"] = DatabaseIdConverter
    db.init_app(app)
    app.session_interface = ServerSessionInterface()
    _protect_forms(app)
    i18n.init_app(app)
    app.jinja_env.finalize = _escape_lazy_strings
    _register_blueprints(app)
    _register_error_pages(app)
    app.before_request(_refuse_unmigrated_database)
    app.after_request(_security_headers)
    return app


def _protect_forms(app: Flask) -> None:
    """Flask-WTF's CSRF check on every POST (PUT, PATCH, DELETE), where it would run anyway.

    Its own hook looks the view's exemptions up before it looks at the method, in every
    request; we exempt nothing, so for a page shown that was work for nothing. The check
    itself is Flask-WTF's, with its exemptions, and it runs first as before."""
    csrf = CSRFProtect(app)
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    methods = app.config["WTF_CSRF_METHODS"]

    @app.before_request
    def check_csrf():
        if request.method in methods and current_app.config["WTF_CSRF_ENABLED"]:
            csrf.protect(apply_exemptions=True)


def _register_blueprints(app: Flask) -> None:
    from survey.admin import bp as admin
    from survey.auth import bp as auth
    from survey.optout import bp as optout
    from survey.respondent import bp as respondent
    from survey.results import bp as results
    from survey.site import bp as site

    app.register_blueprint(site)
    app.register_blueprint(respondent)
    app.register_blueprint(auth)
    app.register_blueprint(admin)
    app.register_blueprint(optout)
    app.register_blueprint(results)


def _escape_lazy_strings(value):
    """Every ``{{ }}`` goes through this. Flask-Babel's lazy strings declare themselves safe
    HTML (``__html__``), so a message with a value from an upload or a form in it (a header
    cell, a sheet name, an address) would reach the page unescaped; as a plain string, Jinja
    escapes it like any other text."""
    return str(value) if isinstance(value, LazyString) else value


def _refuse_unmigrated_database():
    """Serving an old schema would fail in odd places; say what to run instead."""
    if migrate.schema_ready(current_app) or request.endpoint == "static":
        return None
    current_app.logger.error("The database schema is not current: run `paverkan db upgrade`.")
    return render_template("site/unmigrated.html"), 503


def _security_headers(response):
    # same-origin, not no-referrer: Flask-WTF's CSRF check refuses a form sent over https
    # without a Referer of our own origin (WTF_CSRF_SSL_STRICT), and with no-referrer browsers
    # also send `Origin: null`. Other sites still learn nothing (no token in their logs).
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["X-Frame-Options"] = "DENY"
    if request.is_secure:
        response.headers["Strict-Transport-Security"] = STRICT_TRANSPORT_SECURITY
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers.setdefault("Cache-Control", "no-store")
    return response


def _answers_kept() -> str:
    """The sentence "Answers you saved earlier are kept", where it is true: for a respondent
    whose session still holds their link; nobody else has saved answers, and a thanked
    respondent's are sent, not kept. (After the close, which deletes drafts, the first
    token-free page says the survey closed and drops the link from the session.)"""
    return " " + _("Answers you saved earlier are kept.") if session.get(
        respondent_access.TOKEN) else ""


def _register_error_pages(app: Flask) -> None:
    def page(status: int, title: str, message: str):
        return render_template("site/error.html", title=title, message=message), status

    @app.errorhandler(CSRFError)
    def csrf_error(_error):
        if request.blueprint in drafts.STAFF_BLUEPRINTS:
            return drafts.keep_and_log_in_again(logged_in=current_user() is not None)
        closed = respondent_access.ended_by_close()
        if closed is not None:
            return closed
        if not session:  # the session itself ended (or cookies are blocked)
            return page(
                400,
                _("Your session has ended"),
                _(
                    "Open the link in your e-mail again (or log in again). It shows whether"
                    " the survey is still open and whether your answers have arrived. If you"
                    " have not sent them and the survey is open, you continue with the answers"
                    " you saved on earlier pages."
                ),
            )
        return page(
            400,
            _("The form has expired"),
            _("For your security the form could not be accepted. Go back, reload the page"
              " and send it again.") + _answers_kept(),
        )

    @app.errorhandler(400)
    def bad_request(_error):
        return page(400, _("Something was wrong with the request"), _("Go back and try again."))

    @app.errorhandler(404)
    def not_found(_error):
        return page(404, _("Page not found"), _("There is no page at this address."))

    @app.errorhandler(405)
    def method_not_allowed(_error):
        return page(405, _("Page not found"), _("There is no page at this address."))

    @app.errorhandler(413)
    def too_large(_error):
        return page(
            413,
            _("Too much text"),
            _("What you sent was too long to accept. Go back, shorten it and try again."),
        )

    @app.errorhandler(500)
    def server_error(_error):
        return page(
            500,
            _("Something went wrong"),
            _("The error has been recorded.") + _answers_kept(),
        )
