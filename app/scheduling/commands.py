"""``flask --app wsgi scheduler``: the one scheduler process."""

from __future__ import annotations

import logging
import signal

import click
from flask import Flask, current_app


def register(app: Flask) -> None:
    @app.cli.command("scheduler")
    @click.option("--once", is_flag=True, help="Run every job once now and exit (takes the lock too).")
    def scheduler(once: bool) -> None:
        """Run the periodic jobs (SMS outbox, reminders, escalation...). Start exactly one;
        a second one waits and takes over if the first stops."""
        from app.scheduling.locks import build_lock
        from app.scheduling.process import SchedulerRunner, run_once

        flask_app = current_app._get_current_object()  # type: ignore[attr-defined]
        if once:
            lock = build_lock(flask_app)
            if not lock.try_acquire():
                raise click.ClickException("Another scheduler is running; not running the jobs a second time.")
            try:
                for job_id, count in run_once(flask_app).items():
                    click.echo(f"{job_id:<20} {count}")
            finally:
                lock.release()
            return
        # APScheduler logs every run of every job at INFO; our jobs log what they did.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
        runner = SchedulerRunner(flask_app)

        def _stop(signum, _frame):
            click.echo(f"Signal {signum}: stopping the scheduler")
            runner.stop()

        signal.signal(signal.SIGTERM, _stop)
        signal.signal(signal.SIGINT, _stop)
        runner.run()

    @app.cli.command("rebuild-rollups")
    @click.option("--since", type=click.DateTime(formats=["%Y-%m-%d"]), help="First day (default: every day).")
    @click.option("--until", type=click.DateTime(formats=["%Y-%m-%d"]), help="Last day (with --since).")
    def rebuild_rollups(since, until) -> None:
        """Rebuild the report rollups from the errands, requests and encounters (safe to run again):
        every day and the stage changes, or only the days --since .. --until."""
        from app import rollups
        from app.extensions import db

        if since is None:
            days = rollups.rebuild_everything()
        else:
            days = rollups.rebuild_days(since.date(), (until or since).date())
        db.session.commit()
        click.echo(f"Report rollups rebuilt: {days} days.")
