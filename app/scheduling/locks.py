"""Only one scheduler works at a time.

* PostgreSQL: a session-level advisory lock (``pg_try_advisory_lock``) on a
  dedicated connection held for the life of the process. If the process dies,
  PostgreSQL ends the session and the lock is free at once.
* SQLite: an OS file lock (``filelock``) on ``SCHEDULER_LOCK_FILE``; the
  operating system releases it when the process dies.

A second instance calls :meth:`try_acquire` every few seconds until it gets
the lock, so it takes over when the first one stops.
"""

from __future__ import annotations

import contextlib
import logging
from typing import Protocol

import sqlalchemy as sa
from filelock import FileLock, Timeout
from flask import Flask
from sqlalchemy.engine import Connection, Engine
from sqlalchemy.pool import NullPool

from app.extensions import db

log = logging.getLogger(__name__)


class SchedulerLock(Protocol):
    description: str

    def try_acquire(self) -> bool: ...

    def is_held(self) -> bool: ...

    def release(self) -> None: ...


class FileSchedulerLock:
    """An exclusive lock on a file (flock on Linux)."""

    def __init__(self, path: str) -> None:
        self.path = path
        self.description = f"file lock {path}"
        self._lock = FileLock(path, thread_local=False, is_singleton=False)

    def try_acquire(self) -> bool:
        try:
            self._lock.acquire(timeout=0)
        except Timeout:
            return False
        return True

    def is_held(self) -> bool:
        return self._lock.is_locked

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)


class PostgresAdvisoryLock:
    """A session-level advisory lock on its own connection (outside the pool)."""

    def __init__(self, url: sa.URL | str, key: int) -> None:
        self.key = int(key)
        self.description = f"PostgreSQL advisory lock {self.key}"
        self._engine: Engine = sa.create_engine(url, poolclass=NullPool, isolation_level="AUTOCOMMIT")
        self._conn: Connection | None = None

    def try_acquire(self) -> bool:
        if self._conn is not None:
            return True
        conn = self._engine.connect()
        try:
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:key)"), {"key": self.key}).scalar())
        except Exception:
            conn.close()
            raise
        if not got:
            conn.close()
            return False
        self._conn = conn
        return True

    def is_held(self) -> bool:
        if self._conn is None:
            return False
        try:
            held = self._conn.execute(
                sa.text(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND granted "
                    "AND pid = pg_backend_pid() AND classid::bigint = (:key >> 32) "
                    "AND objid::bigint = (:key & 4294967295) AND objsubid = 1"
                ),
                {"key": self.key},
            ).scalar()
        except Exception:  # the connection is gone, and with it the lock
            log.warning("Scheduler lost its database connection (and the lock)", exc_info=True)
            self._drop()
            return False
        return bool(held)

    def release(self) -> None:
        if self._conn is None:
            return
        try:
            self._conn.execute(sa.text("SELECT pg_advisory_unlock(:key)"), {"key": self.key})
        except Exception:
            log.warning("Could not unlock the scheduler lock; closing its connection", exc_info=True)
        self._drop()

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(Exception):
                self._conn.close()
            self._conn = None

    def dispose(self) -> None:
        self.release()
        self._engine.dispose()


def build_lock(app: Flask) -> SchedulerLock:
    """The lock that fits the app's database."""

    with app.app_context():
        engine = db.engine
        if engine.dialect.name == "postgresql":
            key = app.config["SCHEDULER_LOCK_KEY"]
            return PostgresAdvisoryLock(engine.url, key)
    return FileSchedulerLock(app.config["SCHEDULER_LOCK_FILE"])
