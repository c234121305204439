"""The scheduler process: two instances never send twice, a restart loses and
duplicates nothing, the web app never starts a scheduler, and the CLI command."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa

from app.models import SmsMessage, utcnow
from app.scheduling.process import SchedulerRunner
from app.sms.outbox import queue_sms
from tests.sms.support import outgoing

ROOT = Path(__file__).resolve().parents[2]


def eventually(check, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


@pytest.fixture()
def fast(app, monkeypatch, fake_twilio):
    """Jobs every fraction of a second, talking to the fake Twilio."""
    for key, value in {
        "SCHEDULER_DISPATCH_SECONDS": 0.2,
        "SCHEDULER_REMINDER_SECONDS": 0.2,
        "SCHEDULER_ESCALATION_SECONDS": 1,
        "SCHEDULER_EXPIRY_SECONDS": 1,
        "SCHEDULER_FEEDBACK_SECONDS": 1,
        "SCHEDULER_GENERATE_SECONDS": 1,
        "SCHEDULER_LOCK_RETRY_SECONDS": 0.1,
        "SCHEDULER_LOCK_CHECK_SECONDS": 0.2,
    }.items():
        monkeypatch.setitem(app.config, key, value)
    return fake_twilio


class Instance:
    """A scheduler instance running in a thread (as a second process would)."""

    def __init__(self, app, lock=None):
        self.runner = SchedulerRunner(app, lock=lock)
        self.thread = threading.Thread(target=self.runner.run, daemon=True)
        self.thread.start()

    def stop(self):
        self.runner.stop()
        self.thread.join(timeout=15)
        assert not self.thread.is_alive()


@pytest.fixture()
def instances():
    started: list[Instance] = []

    def start(app, lock=None) -> Instance:
        started.append(Instance(app, lock))
        return started[-1]

    yield start
    for instance in started:
        if instance.thread.is_alive():
            instance.stop()


def soon_errand(make, db):
    """An errand starting in 90 minutes: its helper's two-hour reminder is due now."""
    org = make.organization()
    elder = make.elder(org=org, contact_channel="coordinator_call")
    helper = make.helper(org=org)
    now = utcnow()
    errand = make.errand(elder, now + timedelta(minutes=90))
    make.assignment(errand, helper, assigned_at=now - timedelta(days=3))
    return helper


def fresh(db):
    db.session.rollback()  # end our read snapshot to see the scheduler's commits


def test_second_instance_waits_and_takes_over_without_sending_twice(app, db, make, fast, instances):
    helpers = [soon_errand(make, db) for _ in range(3)]
    first = instances(app)
    assert first.runner.has_lock.wait(10)
    second = instances(app)
    assert eventually(lambda: len(fast.messages) == 3)
    time.sleep(0.5)  # both instances have had time for several rounds
    assert not second.runner.has_lock.is_set()
    assert len(fast.messages) == 3

    first.stop()  # the first one goes away...
    assert second.runner.has_lock.wait(5)  # ...and the second takes over
    helpers.append(soon_errand(make, db))
    assert eventually(lambda: len(fast.messages) == 4)
    time.sleep(0.5)
    second.stop()

    assert sorted(m["to"] for m in fast.messages) == sorted(h.phone for h in helpers)  # each once
    fresh(db)
    reminders = outgoing(db.session, kind="reminder_helper_soon")
    assert len(reminders) == 4 and {m.status for m in reminders} == {"sent"}


def test_restart_in_the_middle_loses_and_repeats_nothing(app, db, fast, instances, monkeypatch):
    # Slow enough (20 a second, several in flight) that the stop lands in the middle of the 15.
    monkeypatch.setitem(app.config, "SMS_RATE_PER_SECOND", 20)
    numbers = [f"+35840888{i:04d}" for i in range(15)]
    for n in numbers:
        queue_sms(n, "Tiedote", kind="manual")
    db.session.commit()
    fast.delay_seconds = 0.05
    first = instances(app)
    assert eventually(lambda: len(fast.messages) >= 4)
    first.stop()
    stopped_at = len(fast.messages)
    assert stopped_at < len(numbers)
    fresh(db)
    assert db.session.scalar(sa.select(sa.func.count()).where(SmsMessage.status == "sending")) == 0

    instances(app)
    assert eventually(lambda: len(fast.messages) == len(numbers))
    time.sleep(0.5)
    assert sorted(m["to"] for m in fast.messages) == sorted(numbers)


class FlakyLock:
    """A lock that can be lost, as when the database connection of the advisory lock dies."""

    description = "test lock"

    def __init__(self):
        self.held = False
        self.available = True
        self.acquired = 0

    def try_acquire(self) -> bool:
        if self.available and not self.held:
            self.held = True
            self.acquired += 1
        return self.held

    def is_held(self) -> bool:
        return self.held

    def release(self) -> None:
        self.held = False


def test_losing_the_lock_stops_the_jobs_until_it_is_regained(app, db, fast, instances):
    lock = FlakyLock()
    instance = instances(app, lock)
    assert instance.runner.has_lock.wait(5)
    lock.available, lock.held = False, False  # e.g. the database restarted
    assert eventually(lambda: not instance.runner.has_lock.is_set())
    queue_sms("+358401231231", "Odottaa", kind="manual")
    db.session.commit()
    time.sleep(0.6)
    assert fast.messages == []  # no jobs without the lock
    lock.available = True
    assert eventually(lambda: len(fast.messages) == 1)
    assert lock.acquired == 2


def test_web_app_never_starts_or_imports_the_scheduler(tmp_path):
    code = "import sys, wsgi; print('apscheduler' in sys.modules, 'app.scheduling.process' in sys.modules)"
    env = {
        **os.environ,
        "APP_ENV": "development",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'web.db'}",
        "PYTHONPATH": str(ROOT),
    }
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "False False", result.stderr


def test_cli_command_runs_every_job_once(app, db, make):
    helper = soon_errand(make, db)
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    for job in ("generate-errands", "expire-offers", "escalate", "reminders", "feedback-requests", "sms-dispatch"):
        assert job in result.output
    fresh(db)
    [reminder] = outgoing(db.session, kind="reminder_helper_soon")
    assert reminder.to_phone == helper.phone and reminder.status == "sent"


def test_cli_refuses_to_run_beside_a_running_scheduler(app, db):
    from app.scheduling.locks import build_lock

    holder = build_lock(app)
    assert holder.try_acquire()
    try:
        result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
        assert result.exit_code != 0 and "Another scheduler" in result.output
    finally:
        holder.release()
