"""Two app nodes on one PostgreSQL and one Redis (README "Several app nodes").

Real processes, as a deployment runs them: two web nodes (``flask --app wsgi
run`` on two free ports) and two schedulers (``flask --app wsgi scheduler``), all
with the same ``DATABASE_URL`` (the suite's PostgreSQL database, migrated by the
``app`` fixture) and ``REDIS_URL`` (Redis database 9, this part's own, emptied
first). It checks that

* a report calculated again on node A is the one node B serves (the report cache
  is in Redis, not in each node's directory);
* failed logins count on both nodes together (Flask-Limiter's storage is Redis);
* only one scheduler holds the advisory lock; the standby waits, and takes over
  when the first is killed. (Only the scheduler sends SMS, so the SMS rate holds
  across nodes by this lock.)

It runs in the PostgreSQL pass of the suite (``TEST_DATABASE_URL``), where CI
also runs Redis; on SQLite, or without Redis, it is skipped and says why.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import requests
import sqlalchemy as sa

from tests.conftest import CSRF_RE, redis_or_skip, redis_url_for_tests
from tests.factories import PASSWORD, local_today
from tests.reports.helpers import summary

ROOT = Path(__file__).resolve().parent.parent
REDIS_URL = redis_url_for_tests("redis://127.0.0.1:6379/9")  # this part's own Redis database (or TEST_REDIS_URL)
STARTED = "Scheduler started"


@pytest.fixture()
def shared(app, db):
    """The database URL the nodes share, and Redis emptied; skips without PostgreSQL or Redis."""
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    if not url.startswith("postgresql"):
        pytest.skip("two nodes share one PostgreSQL: runs in the PostgreSQL pass (TEST_DATABASE_URL)")
    client = redis_or_skip(REDIS_URL, "two nodes need Redis on 127.0.0.1:6379 (CI runs it)")
    client.flushdb()
    yield url
    client.flushdb()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Processes:
    """The processes this test starts, each in its own process group, with its output in a file."""

    def __init__(self, tmp_path: Path, env: dict[str, str]) -> None:
        self.tmp_path, self.env = tmp_path, env
        self.started: dict[str, subprocess.Popen] = {}

    def start(self, name: str, *args: str, **env: str) -> subprocess.Popen:
        out = open(self.tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
        proc = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env | env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        out.close()
        self.started[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(encoding="utf-8", errors="replace")

    def kill(self, name: str) -> None:
        proc = self.started[name]
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)

    def stop_all(self) -> None:
        for proc in self.started.values():
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for name in self.started:
            try:
                self.started[name].wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill(name)


def _until(check: Callable[[], bool], seconds: float, what: str, processes: Processes) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    logs = "\n".join(f"--- {n}\n{processes.log(n)[-1500:]}" for n in processes.started)
    pytest.fail(f"not within {seconds} s: {what}\n{logs}")


def _answers(url: str) -> bool:
    try:
        return requests.get(url + "/healthz", timeout=2).status_code == 200
    except requests.RequestException:
        return False


@pytest.fixture()
def cluster(shared, tmp_path) -> Iterator[tuple[Processes, str, str]]:
    """Node A, node B, a scheduler and its standby, started at once (each takes a few seconds)."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("TEST_", "BENCH_", "FLASK_", "PYTEST_", "WERKZEUG_"))
    } | {
        "APP_ENV": "development",
        "DATABASE_URL": shared,
        "REDIS_URL": REDIS_URL,
        "REPORT_CACHE_SECONDS": "600",
        "LOGIN_LIMIT_PER_ACCOUNT": "3 per 15 minutes",
        "SCHEDULER_LOCK_RETRY_SECONDS": "1",
        "DB_POOL_SIZE": "2",
        "DB_MAX_OVERFLOW": "2",
        "PYTHONPATH": str(ROOT),
    }
    processes = Processes(tmp_path, env)
    ports = {"node-a": _free_port(), "node-b": _free_port()}
    try:
        for name, port in ports.items():
            # Each node would keep its own cache directory: only Redis can make them agree.
            processes.start(name, "run", "--host", "127.0.0.1", "--port", str(port), CACHE_DIR=str(tmp_path / name))
        processes.start("scheduler-1", "scheduler")
        processes.start("scheduler-2", "scheduler")
        urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
        _until(lambda: all(_answers(u) for u in urls.values()), 45, "both nodes answer /healthz", processes)
        yield processes, urls["node-a"], urls["node-b"]
    finally:
        processes.stop_all()


def _csrf(browser: requests.Session, url: str) -> str:
    match = CSRF_RE.search(browser.get(url, timeout=10).text)
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def _login(browser: requests.Session, node: str, email: str, password: str) -> requests.Response:
    token = _csrf(browser, f"{node}/auth/login")
    data = {"csrf_token": token, "email": email, "password": password}
    return browser.post(f"{node}/auth/login", data=data, timeout=10, allow_redirects=False)


def _requests_taken(browser: requests.Session, url: str) -> int:
    page = browser.get(url, timeout=30)
    assert page.status_code == 200, page.text[:500]
    return int(summary(page.text)["Requests taken"])


def test_two_nodes_share_the_report_cache_and_the_login_limits_and_one_scheduler_runs(cluster, make, db):
    processes, node_a, node_b = cluster

    # -- only one scheduler holds the lock; the standby takes over when it is killed --------------
    _until(
        lambda: any(STARTED in processes.log(n) for n in ("scheduler-1", "scheduler-2")),
        45,
        "a scheduler takes the lock",
        processes,
    )
    time.sleep(2)  # the standby has tried the lock (every second) by now
    holders = [n for n in ("scheduler-1", "scheduler-2") if STARTED in processes.log(n)]
    assert len(holders) == 1, holders
    [first] = holders
    [standby] = {"scheduler-1", "scheduler-2"} - {first}
    assert processes.started[standby].poll() is None  # waiting, not gone
    advisory = sa.text(
        "SELECT count(*) FROM pg_locks l JOIN pg_database d ON d.oid = l.database "
        "WHERE l.locktype = 'advisory' AND l.granted AND d.datname = current_database()"
    )
    assert db.session.scalar(advisory) == 1
    db.session.commit()

    # -- failed logins count on both nodes together ----------------------------------------------
    stranger = requests.Session()
    for node in (node_a, node_b, node_a):
        assert _login(stranger, node, "nobody@example.fi", "wrong-password-1").status_code == 400
    refused = _login(stranger, node_b, "nobody@example.fi", "wrong-password-1")
    assert refused.status_code == 429  # the limit is 3: two failures on A and one on B

    # -- a report calculated again on node A is the one node B serves -----------------------------
    coordinator = make.coordinator()
    elder = make.elder(org=coordinator.organizations[0])
    make.request(elder)
    browser = requests.Session()  # one browser, its requests spread over both nodes by a load balancer
    assert _login(browser, node_a, coordinator.email, PASSWORD).status_code == 302
    browser.post(f"{node_b}/lang", data={"csrf_token": _csrf(browser, node_b + "/"), "lang": "en"}, timeout=10)
    today = local_today()
    period = f"date_from={(today - timedelta(days=30)).isoformat()}&date_to={(today + timedelta(days=10)).isoformat()}"
    report = f"/reports/?{period}"
    assert _requests_taken(browser, node_b + report) == 1  # calculated on B, kept
    make.request(elder, day=today + timedelta(days=3))
    assert _requests_taken(browser, node_b + report) == 1  # B serves the kept report
    assert _requests_taken(browser, node_a + report + "&fresh=1") == 2  # "Calculate again now" on A
    assert _requests_taken(browser, node_b + report) == 2  # ...is what B serves now

    # -- the standby takes over when the first scheduler dies -------------------------------------
    processes.kill(first)
    _until(lambda: STARTED in processes.log(standby), 20, "the standby takes over", processes)
    assert processes.started[standby].poll() is None
