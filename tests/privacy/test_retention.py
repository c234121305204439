"""Retention: ending clears the notes at once; the scheduler erases those ended
longer ago than PERSON_RETENTION_MONTHS and reports what it did."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app.elders.intake import change_status
from app.models import AuditLog, Elder, utcnow
from app.privacy.retention import anonymise_expired
from app.scheduling.jobs import JOBS, job_anonymise_ended
from app.scheduling.process import run_job
from tests.privacy.conftest import cancel_coming


@pytest.fixture()
def months(app):
    saved = app.config.get("PERSON_RETENTION_MONTHS")

    def set_to(value: int) -> None:
        app.config["PERSON_RETENTION_MONTHS"] = value

    yield set_to
    app.config["PERSON_RETENTION_MONTHS"] = saved


def test_ending_clears_health_and_access_notes_at_once(db, make):
    elder = make.elder()
    assert elder.health_notes and elder.access_notes
    change_status(elder, "ended", reason="muutti pois")
    db.session.commit()
    db.session.expire_all()
    elder = db.session.get(Elder, elder.id)
    assert elder.health_notes is None and elder.access_notes is None
    assert elder.ended_at is not None and elder.first_name == "Aili"
    change_status(elder, "active")
    db.session.commit()
    assert elder.ended_at is None


def test_ending_on_the_page_clears_the_notes(db, make, coord, org):
    elder = make.elder(org=org)
    page = f"/elders/{elder.id}"
    response = coord.submit(f"{page}/status", {"status-status": "ended", "status-reason": ""}, page=page)
    assert response.status_code == 302
    db.session.expire_all()
    assert db.session.get(Elder, elder.id).health_notes is None


def test_the_job_erases_only_those_ended_long_enough_ago(db, make, months):
    months(24)
    now = utcnow()
    old = make.elder(first_name="Vanha")
    recent = make.elder(first_name="Tuore")
    active = make.elder(first_name="Aktiivi")
    for elder, days in ((old, 800), (recent, 300)):
        change_status(elder, "ended")
        elder.ended_at = now - timedelta(days=days)
    db.session.commit()

    report = anonymise_expired(now)
    db.session.commit()
    assert report.elders_erased == 1 and report.notes_cleared == 0 and report.clocks_started == 0
    assert db.session.get(Elder, old.id).erased_at is not None
    assert db.session.get(Elder, old.id).first_name == "Poistettu"
    assert db.session.get(Elder, recent.id).first_name == "Tuore"
    assert db.session.get(Elder, active.id).first_name == "Aktiivi"
    entry = db.session.scalar(sa.select(AuditLog).where(AuditLog.action == "person.erase"))
    assert entry.actor_user_id is None and entry.details["reason_code"] == "retention" and "reason" not in entry.details
    # Run again: nothing more to do.
    assert anonymise_expired(now).total == 0


def test_the_job_starts_the_clock_and_clears_notes_of_people_ended_before(db, make, months):
    months(24)
    elder = make.elder(status="ended")  # ended before ended_at was kept: notes still there
    report = anonymise_expired(utcnow())
    db.session.commit()
    assert (report.clocks_started, report.notes_cleared, report.elders_erased) == (1, 1, 0)
    assert elder.ended_at is not None and elder.health_notes is None and elder.first_name == "Aili"


def test_coming_errands_hold_the_erasure_back(db, scenario, months):
    months(1)
    change_status(scenario.elder, "ended")
    scenario.elder.ended_at = utcnow() - timedelta(days=62)
    db.session.commit()
    report = anonymise_expired(utcnow())
    assert report.skipped_coming_errands == 1 and report.elders_erased == 0
    cancel_coming(scenario)
    report = anonymise_expired(utcnow())
    db.session.commit()
    assert report.elders_erased == 1 and report.contacts_erased == 1 and report.messages_blanked > 0


def test_zero_months_turns_the_erasure_off(db, make, months):
    months(0)
    elder = make.elder()
    change_status(elder, "ended")
    elder.ended_at = utcnow() - timedelta(days=3650)
    db.session.commit()
    assert anonymise_expired(utcnow()).elders_erased == 0
    assert elder.erased_at is None


def test_the_scheduler_job_reports_what_it_did(app, db, make, months, caplog, monkeypatch):
    # Alembic's logging setup disables the loggers that existed before the migrations ran.
    monkeypatch.setattr(logging.getLogger("app.scheduling.jobs"), "disabled", False)
    months(24)
    elder = make.elder()
    change_status(elder, "ended")
    elder.ended_at = utcnow() - timedelta(days=800)
    db.session.commit()
    spec = next(j for j in JOBS if j.func is job_anonymise_ended)
    assert spec.id == "anonymise-ended" and spec.daily_at is not None
    with caplog.at_level(logging.INFO):
        assert run_job(app, spec) == 1
    assert "elders_erased': 1" in caplog.text
    db.session.expire_all()
    assert db.session.get(Elder, elder.id).erased_at is not None
