"""The scheduler process: wait for the single-instance lock, then run the jobs
with APScheduler's BlockingScheduler until stopped or the lock is lost.

Each job run gets its own application context (its own database session) and
is guarded so a failing job is logged and rolled back without stopping the
others. ``coalesce`` folds missed runs into one, ``max_instances=1`` keeps a
slow run from overlapping the next, and ``misfire_grace_time`` drops runs that
are too late to matter. A watchdog job checks that the lock is still held
(PostgreSQL: the lock's connection is alive); if not, the jobs stop and the
process goes back to waiting for the lock.
"""

from __future__ import annotations

import logging
import threading
from datetime import datetime

from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger
from flask import Flask

from app.extensions import db
from app.i18n import HELSINKI
from app.models import utcnow
from app.scheduling.jobs import JOBS, JobSpec, job_dispatch_sms
from app.scheduling.locks import SchedulerLock, build_lock

log = logging.getLogger(__name__)

MISFIRE_GRACE_SECONDS = 60
DAILY_MISFIRE_GRACE_SECONDS = 3 * 3600
LOCK_WATCHDOG_ID = "scheduler-lock-watchdog"


class SchedulerRunner:
    """One scheduler instance. ``run()`` blocks; ``stop()`` may be called from any thread."""

    def __init__(self, app: Flask, lock: SchedulerLock | None = None, jobs: tuple[JobSpec, ...] = JOBS) -> None:
        self.app = app
        self.lock = lock or build_lock(app)
        self.jobs = jobs
        self._stop = threading.Event()
        self._lock_lost = threading.Event()
        self._guard = threading.Lock()
        self._scheduler: BlockingScheduler | None = None
        self._running_jobs = 0
        self._idle = threading.Condition()
        self.has_lock = threading.Event()

    def _config(self, key: str):
        return self.app.config[key]

    # -- lifecycle --------------------------------------------------------

    def run(self) -> None:
        """Wait for the lock, run the jobs; wait again if the lock is lost. Returns after ``stop()``."""
        retry = float(self._config("SCHEDULER_LOCK_RETRY_SECONDS"))
        waiting_logged = False
        while not self._stop.is_set():
            try:
                acquired = self.lock.try_acquire()
            except Exception:  # e.g. the database is not up yet: try again later
                log.warning("Could not ask for the %s", self.lock.description, exc_info=True)
                acquired = False
            if not acquired:
                if not waiting_logged:
                    log.info("Another scheduler holds the %s; waiting to take over", self.lock.description)
                    waiting_logged = True
                self._stop.wait(retry)
                continue
            waiting_logged = False
            log.info("Scheduler started (%s): %s", self.lock.description, ", ".join(j.id for j in self.jobs))
            self.has_lock.set()
            try:
                self._run_scheduler()
            finally:
                self._wait_for_jobs()
                self.has_lock.clear()
                self.lock.release()
                log.info("Scheduler stopped; lock released")
            if self._lock_lost.is_set() and not self._stop.is_set():
                self._lock_lost.clear()
                continue
            break

    def stop(self) -> None:
        self._stop.set()
        with self._guard:
            scheduler = self._scheduler
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    @property
    def stopping(self) -> bool:
        return self._stop.is_set() or self._lock_lost.is_set()

    def _run_scheduler(self) -> None:
        scheduler = BlockingScheduler(
            timezone=HELSINKI,
            job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": MISFIRE_GRACE_SECONDS},
        )
        now = datetime.now(HELSINKI)
        for spec in self.jobs:
            if spec.interval_key is not None:
                trigger = IntervalTrigger(seconds=float(self._config(spec.interval_key)), timezone=HELSINKI)
                scheduler.add_job(
                    self._run_job,
                    trigger,
                    args=[spec],
                    id=spec.id,
                    name=spec.id,
                    replace_existing=True,
                    next_run_time=now,
                )
            else:
                hour, minute = spec.daily_at or (3, 30)
                scheduler.add_job(
                    self._run_job,
                    CronTrigger(hour=hour, minute=minute, timezone=HELSINKI),
                    args=[spec],
                    id=spec.id,
                    name=spec.id,
                    replace_existing=True,
                    misfire_grace_time=DAILY_MISFIRE_GRACE_SECONDS,
                )
        scheduler.add_job(
            self._check_lock,
            IntervalTrigger(seconds=float(self._config("SCHEDULER_LOCK_CHECK_SECONDS")), timezone=HELSINKI),
            id=LOCK_WATCHDOG_ID,
            name=LOCK_WATCHDOG_ID,
            replace_existing=True,
        )
        with self._guard:
            if self._stop.is_set():
                return
            self._scheduler = scheduler
        try:
            scheduler.start()  # blocks until shutdown
        finally:
            with self._guard:
                self._scheduler = None

    # -- jobs --------------------------------------------------------------

    def _run_job(self, spec: JobSpec) -> int:
        if self.stopping:
            return 0
        with self._idle:
            self._running_jobs += 1
        try:
            return run_job(self.app, spec, should_stop=lambda: self.stopping)
        finally:
            with self._idle:
                self._running_jobs -= 1
                self._idle.notify_all()

    def _wait_for_jobs(self) -> None:
        """Do not give the lock away while a job of ours is still running."""
        with self._idle:
            self._idle.wait_for(lambda: self._running_jobs == 0)

    def _check_lock(self) -> None:
        if self.lock.is_held():
            return
        log.error("Scheduler lost its %s; stopping the jobs", self.lock.description)
        self._lock_lost.set()
        with self._guard:
            scheduler = self._scheduler
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)


def run_job(app: Flask, spec: JobSpec, *, now: datetime | None = None, should_stop=None) -> int:
    """Run one job in its own application context; errors are logged, never raised."""

    with app.app_context():
        try:
            if spec.func is job_dispatch_sms:
                count = job_dispatch_sms(now or utcnow(), should_stop=should_stop)
            else:
                count = spec.func(now or utcnow())
        except Exception:
            log.exception("Scheduler job %s failed", spec.id)
            db.session.rollback()
            return 0
        if count:
            log.info("Scheduler job %s: %s", spec.id, count)
        return count


def run_once(app: Flask, now: datetime | None = None) -> dict[str, int]:
    """Every job once, in order (``flask --app wsgi scheduler --once``)."""
    return {spec.id: run_job(app, spec, now=now) for spec in JOBS}
