"""Shared fixtures: the app on a migrated database, a clean database per test,
a CSRF-aware client, login helpers, factories and a live server for browser tests.

The suite runs on SQLite by default and on PostgreSQL when TEST_DATABASE_URL
is set (e.g. postgresql+psycopg://postgres@127.0.0.1:5432/test).
"""

from __future__ import annotations

import contextvars
import os
import re
import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass, field
from typing import Any

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app import create_app
from app.extensions import db as _db
from config import TestConfig, normalise_database_url
from tests import factories


def redis_url_for_tests(default: str) -> str:
    """The Redis database a part of the suite uses: its own ``default``, or
    ``TEST_REDIS_URL`` when set (a machine shared by several sessions, each with a
    database of its own; the suite runs one test at a time, so its parts may share it)."""
    return os.environ.get("TEST_REDIS_URL", "").strip() or default


def redis_or_skip(url: str, why: str):
    """A client of the Redis database ``url`` (see :func:`redis_url_for_tests`), or the
    test skips saying ``why`` when no Redis answers (CI runs it)."""
    import redis

    client = redis.Redis.from_url(url, socket_connect_timeout=1)
    try:
        client.ping()
    except redis.RedisError:
        pytest.skip(why)
    return client


CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')


def _database_url(tmp_path_factory) -> str:
    url = os.environ.get("TEST_DATABASE_URL")
    if url:
        return normalise_database_url(url)
    # A file, not :memory:, so that threads (races, the live server) share it.
    return f"sqlite:///{tmp_path_factory.mktemp('db') / 'test.db'}"


@pytest.fixture(scope="session")
def app(tmp_path_factory):
    url = _database_url(tmp_path_factory)

    class Config(TestConfig):
        SQLALCHEMY_DATABASE_URI = url
        SCHEDULER_LOCK_FILE = str(tmp_path_factory.mktemp("lock") / "scheduler.lock")

    app = create_app(Config)
    app.test_client_class = IsolatedClient
    with app.app_context():
        if _db.engine.dialect.name == "postgresql":
            with _db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE"))
                conn.execute(sa.text("CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade()  # the real migrations, not create_all
    yield app


def _clean(engine) -> None:
    tables = [t for t in reversed(_db.metadata.sorted_tables)]
    # DELETE, children first, is much faster than TRUNCATE for the few rows a test
    # leaves behind (TRUNCATE takes exclusive locks and rewrites every table file).
    with engine.begin() as conn:
        for t in tables:
            conn.execute(t.delete())


@pytest.fixture()
def db(app) -> Iterator:
    """A clean database for each test, with the reference data in place."""
    with app.app_context():
        _clean(_db.engine)
        from app.places import ensure_places, ensure_task_types

        ensure_places()
        ensure_task_types()
        _db.session.commit()
        from app.abuse import limiter

        limiter().reset()  # login and consent SMS counters start from zero in every test
        yield _db
        _db.session.remove()


class IsolatedClient(FlaskClient):
    """A test client whose requests run outside the test's own app context.

    Tests hold an app context for database work; without this every request
    would reuse it (and its ``g``: the logged-in user, the chosen language,
    the database session), which never happens in production.
    """

    def open(self, *args, **kwargs):
        return contextvars.Context().run(super().open, *args, **kwargs)


class FormClient:
    """The Flask test client, plus helpers that send forms with their CSRF token."""

    def __init__(self, client):
        self.client = client

    def __getattr__(self, name):
        return getattr(self.client, name)

    def csrf_token(self, page_url: str) -> str:
        html = self.client.get(page_url).get_data(as_text=True)
        match = CSRF_RE.search(html)
        assert match, f"no CSRF token on {page_url}"
        return match.group(1)

    def submit(self, url: str, data: dict | None = None, *, page: str | None = None, **kwargs):
        """GET ``page`` (default: ``url``) for a CSRF token, then POST ``data`` to ``url``."""
        data = dict(data or {})
        data["csrf_token"] = self.csrf_token(page or url)
        return self.client.post(url, data=data, **kwargs)

    def login(self, email: str, password: str = factories.PASSWORD, **kwargs):
        return self.submit("/auth/login", {"email": email, "password": password}, **kwargs)

    def logout(self):
        return self.submit("/auth/logout", page="/")


@pytest.fixture()
def client(app, db) -> FormClient:
    return FormClient(app.test_client())


@pytest.fixture()
def make(db):
    """The factories of tests/factories.py bound to the test database: ``make.coordinator()``,
    ``make.helper()``, ``make.errand()``, ``make.assignment()``, ``make.request()``..."""
    return factories.Factories(db.session)


@dataclass
class Queries:
    """The SQL statements sent while a ``count_queries()`` block ran, with their parameters."""

    statements: list[str] = field(default_factory=list)
    parameters: list[Any] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.statements)


@pytest.fixture()
def count_queries(db) -> Callable[[], AbstractContextManager[Queries]]:
    """``with count_queries() as q: ...`` then ``q.count`` statements were sent to the
    database (``q.statements``, ``q.parameters``): the guard against N+1 queries."""

    @contextmanager
    def counting() -> Iterator[Queries]:
        queries = Queries()

        def before(conn, cursor, statement, parameters, context, executemany):
            queries.statements.append(statement)
            queries.parameters.append(parameters)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield queries
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counting


@pytest.fixture()
def coordinator_client(client, make):
    user = make.coordinator()
    client.login(user.email)
    client.user = user
    return client


@pytest.fixture()
def live_server(app, db) -> Iterator[str]:
    """The app served on 127.0.0.1 in a thread, for browser tests."""
    from werkzeug.serving import make_server

    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


BROWSER_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    executable = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=executable, args=BROWSER_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Each phase's report kept on the test (``item.failed_in_call``), for the browser pages below."""
    report = yield
    if report.when == "call":
        item.failed_in_call = report.failed
    return report


def _show_page_if_failed(request, page) -> None:
    """After a failed browser test, what its page showed (printed, so the failure's
    captured output has it): the address, the language and the visible text."""
    if not getattr(request.node, "failed_in_call", False) or page.is_closed():
        return
    try:
        lang = page.evaluate("document.documentElement.lang")
        text = page.evaluate("document.body ? document.body.innerText : ''")
    except Exception as error:  # the page itself may be what broke
        print(f"--- the page at {page.url} could not be read: {error}")
        return
    print(f"--- the page at {page.url} (lang={lang!r}) showed:\n{text[:3000]}")


@pytest.fixture()
def phone_page(browser, request):
    """A page the size of a phone screen."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    _show_page_if_failed(request, page)
    context.close()


@pytest.fixture()
def page(browser, request):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    yield page
    _show_page_if_failed(request, page)
    context.close()
