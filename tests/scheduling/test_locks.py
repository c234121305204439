"""Only one scheduler at a time: the file lock (SQLite) and the advisory lock (PostgreSQL)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from app.extensions import db as _db
from app.scheduling.locks import FileSchedulerLock, PostgresAdvisoryLock, build_lock

ROOT = Path(__file__).resolve().parents[2]

HOLDER = """
import sys, time
from app.scheduling.locks import FileSchedulerLock, PostgresAdvisoryLock
kind, target = sys.argv[1], sys.argv[2]
lock = FileSchedulerLock(target) if kind == "file" else PostgresAdvisoryLock(target, int(sys.argv[3]))
while not lock.try_acquire():
    time.sleep(0.05)
print("locked", flush=True)
time.sleep(60)
"""


def eventually(check, timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.05)
    return False


def _holder(*args: str) -> subprocess.Popen:
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert process.stdout.readline().strip() == "locked"
    return process


def _lock_args(app, lock) -> tuple[str, ...]:
    if isinstance(lock, PostgresAdvisoryLock):
        with app.app_context():
            url = _db.engine.url.render_as_string(hide_password=False)
        return ("pg", url, str(lock.key))
    return ("file", lock.path)


def test_file_lock_is_exclusive_and_passes_on_after_release(tmp_path):
    path = str(tmp_path / "scheduler.lock")
    first, second = FileSchedulerLock(path), FileSchedulerLock(path)
    assert first.try_acquire() and first.is_held()
    assert not second.try_acquire() and not second.is_held()
    first.release()
    assert second.try_acquire()
    assert not first.try_acquire()
    second.release()


def test_file_lock_is_freed_when_its_process_is_killed(tmp_path):
    path = str(tmp_path / "scheduler.lock")
    holder = _holder("file", path)
    try:
        lock = FileSchedulerLock(path)
        assert not lock.try_acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=5)
        assert eventually(lock.try_acquire)
        lock.release()
    finally:
        holder.kill()


@pytest.fixture()
def engine_locks(app):
    """Two locks of the kind the app's database uses (advisory on PostgreSQL, file on SQLite)."""
    locks = [build_lock(app), build_lock(app)]
    yield locks
    for lock in locks:
        lock.release()
        if isinstance(lock, PostgresAdvisoryLock):
            lock.dispose()


def test_the_databases_lock_allows_one_instance(app, db, engine_locks):
    first, second = engine_locks
    expected = PostgresAdvisoryLock if db.engine.dialect.name == "postgresql" else FileSchedulerLock
    assert isinstance(first, expected)
    assert first.try_acquire() and first.is_held()
    assert not second.try_acquire()
    first.release()
    assert not first.is_held()
    assert second.try_acquire() and second.is_held()
    assert not first.try_acquire()


def test_the_databases_lock_is_taken_over_when_the_holder_dies(app, db, engine_locks):
    waiting, _ = engine_locks
    holder = _holder(*_lock_args(app, waiting))
    try:
        assert not waiting.try_acquire()
        holder.send_signal(signal.SIGKILL)
        holder.wait(timeout=5)
        assert eventually(waiting.try_acquire)
        assert waiting.is_held()
    finally:
        holder.kill()
