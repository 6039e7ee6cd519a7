"""Fixtures in flaskr's shape (``app``, ``client``, ``runner``) on a schema made by Alembic.

Every test runs twice, on SQLite and on PostgreSQL, inside one outer transaction that is
rolled back at the end (warehouse's ``db_session``), so tests are isolated and fast. Each
test session migrates one fresh SQLite file and one freshly created, uniquely named
PostgreSQL database, and drops the latter at the end.

PostgreSQL: ``PAVERKAN_TEST_DATABASE_URL`` or the local trust-auth server. When it cannot be
reached the PostgreSQL half is skipped with one plain message, unless
``PAVERKAN_REQUIRE_POSTGRES=1`` (CI), where that is a failure. The browser tests behave the
same with ``PAVERKAN_REQUIRE_BROWSER=1``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import os
import re
import secrets
from collections.abc import Iterator
from pathlib import Path

import factory
import psycopg
import pytest
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, make_url
from sqlalchemy.orm import sessionmaker

import questionnaires
from survey import create_app, db, migrate, models, tokens
from survey.cli import cli as paverkan

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get(
    "PAVERKAN_TEST_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
TEST_SECRET = "test-instance-secret"
DEFAULT_INSTRUMENT = questionnaires.load(questionnaires.DEFAULT_DEFINITION)


def _postgres_problem() -> str | None:
    url = make_url(POSTGRES_URL)
    try:
        psycopg.connect(
            url.set(drivername="postgresql").render_as_string(hide_password=False),
            connect_timeout=3,
        ).close()
    except psycopg.Error as exc:
        return f"PostgreSQL at {url.render_as_string()} is unreachable ({exc.__class__.__name__})"
    return None


def _browser_problem() -> str | None:
    missing = [p for p in (CHROMIUM, CHROMEDRIVER, str(AXE)) if not Path(p).exists()]
    if missing:
        return f"missing {', '.join(missing)} (run scripts/install-test-tools.sh)"
    return None


def pytest_configure(config: pytest.Config) -> None:
    config.paverkan_postgres_problem = _postgres_problem()
    config.paverkan_browser_problem = _browser_problem()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Leave out tests whose service is missing, so the run says so once (header and
    summary), not once per test; under CI (``PAVERKAN_REQUIRE_*=1``) they stay and fail."""
    deselected = []
    for what in ("postgres", "browser"):
        problem = getattr(config, f"paverkan_{what}_problem")
        if problem is None or os.environ.get(f"PAVERKAN_REQUIRE_{what.upper()}") == "1":
            continue
        deselected += [item for item in items if item.get_closest_marker(what)]
    if deselected:
        items[:] = [item for item in items if item not in deselected]
        config.hook.pytest_deselected(items=deselected)


def pytest_report_header(config: pytest.Config) -> list[str]:
    lines = []
    if config.paverkan_postgres_problem:
        lines.append(f"SKIPPING the PostgreSQL tests: {config.paverkan_postgres_problem}")
    else:
        lines.append(f"PostgreSQL tests on {make_url(POSTGRES_URL).render_as_string()}")
    if config.paverkan_browser_problem:
        lines.append(f"SKIPPING the browser tests: {config.paverkan_browser_problem}")
    return lines


def pytest_terminal_summary(terminalreporter, config: pytest.Config) -> None:
    for name, problem in (
        ("PostgreSQL", config.paverkan_postgres_problem),
        ("browser", config.paverkan_browser_problem),
    ):
        if problem:
            terminalreporter.write_line(f"NOTE: the {name} tests were skipped: {problem}")


def require(config: pytest.Config, what: str) -> None:
    """Skip (or fail under CI) when a real service the test needs is missing."""
    problem = getattr(config, f"paverkan_{what}_problem")
    if problem is None:
        return
    if os.environ.get(f"PAVERKAN_REQUIRE_{what.upper()}") == "1":
        pytest.fail(f"{what} required (PAVERKAN_REQUIRE_{what.upper()}=1): {problem}")
    pytest.skip(problem)


@pytest.fixture(
    scope="session",
    params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)],
)
def database_url(request, tmp_path_factory):
    """A migrated, empty database for this test session."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.sqlite3'}"
        engine = db.make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url
        return
    require(request.config, "postgres")
    with postgres_database("paverkan_test") as url:
        engine = db.make_engine(url)
        migrate.upgrade(engine)
        engine.dispose()
        yield url


@contextlib.contextmanager
def postgres_database(prefix: str) -> Iterator[str]:
    """A new, uniquely named, empty database on the PostgreSQL server, dropped afterwards."""
    server = make_url(POSTGRES_URL)
    name = f"{prefix}_{secrets.token_hex(6)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE "{name}" WITH (FORCE)')
        admin.dispose()


@pytest.fixture(scope="session")
def engine(database_url):
    engine = db.make_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def connection(engine):
    connection = engine.connect()
    transaction = connection.begin()
    yield connection
    transaction.rollback()
    connection.close()


class CsrfClient(FlaskClient):
    """A test client that fills in the CSRF token like a browser that loaded the form."""

    def csrf_token(self, form_page: str, **kw) -> str:
        """The CSRF token of the form on ``form_page``, as a browser holding it would send
        (``kw`` as for ``get``, e.g. ``base_url``)."""
        page = self.get(form_page, **kw)
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page.text)
        assert match, f"no CSRF token on {form_page} ({page.status_code})"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, form_page: str | None = None, **kw):
        """GET ``form_page`` (default ``url``), take its CSRF token, POST ``data`` to ``url``."""
        token = self.csrf_token(form_page or url)
        return self.post(url, data={**(data or {}), "csrf_token": token}, **kw)


class PaverkanRunner(FlaskCliRunner):
    """Invokes the `paverkan` command (not the bare ``app.cli``) against the test app."""

    def invoke(self, cli=None, args=None, **kwargs):
        return super().invoke(cli or paverkan, args, **kwargs)


def make_test_app(database_url: str, instance: Path, **config):
    app = create_app(
        {
            "TESTING": True,
            "INSTANCE_PATH": str(instance),
            "DATABASE_URL": database_url,
            "SECRET_KEY": TEST_SECRET,
            "SESSION_COOKIE_SECURE": False,
            "POOL_SIZE": 3,
            "MAIL_OUTBOX_ALLOWED": True,
            **config,
        }
    )
    app.test_cli_runner_class = PaverkanRunner
    app.test_client_class = CsrfClient
    return app


@pytest.fixture
def app(database_url, engine, connection, tmp_path):
    """The app, its database work joined to the test's outer transaction.

    Results are computed inside the request: the test's one connection must not be used by
    a background thread after the test rolled it back (tests/results/test_background.py
    covers the thread on an app of its own)."""
    app = make_test_app(database_url, tmp_path / "instance", RESULTS_BACKGROUND_FROM=10**9)
    database = db.database(app)
    database.engine.dispose()
    database.engine = engine
    database.sessionmaker = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    app.extensions["paverkan_schema_ok"] = True  # the fixture migrated it
    yield app


@pytest.fixture
def client(app) -> CsrfClient:
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


#: The test's app and session, for factories (set by ``db_session``).
_current: dict = {}


@pytest.fixture
def db_session(app):
    """The test's database session, on the same outer transaction as the app's requests.

    No app context stays pushed: Flask would reuse it for every request of the test client,
    sharing ``g`` (CSRF token, locale) between requests. Wrap direct calls of operations in
    ``with app.app_context():``.
    """
    session = db.database(app).sessionmaker()
    _current.update(app=app, session=session)
    yield session
    _current.clear()
    session.close()


# Factories: rows with sensible defaults; pass only what the test is about.


class _Factory(factory.alchemy.SQLAlchemyModelFactory):
    class Meta:
        abstract = True
        sqlalchemy_session_factory = staticmethod(lambda: _current["session"])
        sqlalchemy_session_persistence = "flush"


class RoundFactory(_Factory):
    class Meta:
        model = models.Round

    title = factory.Sequence(lambda n: f"Otillåten påverkan {2026 + n}")
    questionnaire_id = DEFAULT_INSTRUMENT.id
    definition = DEFAULT_INSTRUMENT.canonical_json
    fingerprint = DEFAULT_INSTRUMENT.fingerprint
    reference_year = 2025
    election_year = False
    opens_on = factory.LazyFunction(lambda: dt.date.today() - dt.timedelta(days=7))
    closes_on = factory.LazyFunction(lambda: dt.date.today() + dt.timedelta(days=21))
    state = "open"
    municipalities = factory.LazyFunction(lambda: ["Linköping", "Norrköping"])
    groups = factory.LazyFunction(lambda: ["förtroendevald", "medarbetare"])


class InvitationFactory(_Factory):
    """An invitation whose link token is available as ``invitation.token`` (tests only)."""

    class Meta:
        model = models.Invitation

    round = factory.SubFactory(RoundFactory)
    email = factory.Sequence(lambda n: f"person{n}@example.se")
    municipality = "Linköping"
    group = "medarbetare"

    @factory.post_generation
    def token(obj, create, extracted, **kwargs):  # noqa: N805
        _current["session"].flush()
        with _current["app"].app_context():
            obj.token = tokens.assign_token(obj)
        _current["session"].flush()


class UserFactory(_Factory):
    class Meta:
        model = models.User

    email = factory.Sequence(lambda n: f"user{n}@kommun.example.se")
    password_hash = "not-a-real-hash"
    role = "admin"
