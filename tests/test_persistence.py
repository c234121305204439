"""Persistence: migrations match the models, SQLite settings, UTC times, demo data."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.db_setup import configure_engine, engine_options, include_object
from app.extensions import db as _db
from app.models import AuditLog, Elder, Errand, HelperProfile, HelpRequest, Organization, User, WeekPlan


def test_migrations_match_models(app, db):
    with _db.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True, "include_object": include_object})
        diff = compare_metadata(context, _db.metadata)
    assert diff == [], f"models and migrations disagree: {diff}"


def test_engine_settings(app, db):
    """SQLite: WAL, a busy timeout and foreign keys. PostgreSQL: through psycopg 3, JIT off."""
    if _db.engine.dialect.name == "postgresql":
        assert _db.engine.dialect.driver == "psycopg"
        with _db.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW TimeZone").scalar() is not None
            assert conn.exec_driver_sql("SHOW jit").scalar() == "off"
        return
    with _db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 10000
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        # SQLITE_MMAP_MB (default 0: off)
        assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == app.config["SQLITE_MMAP_MB"] * 1024 * 1024


@pytest.mark.parametrize("mmap_mb", [0, 64])
def test_sqlite_mmap_setting_takes_effect(tmp_path, mmap_mb):
    """SQLITE_MMAP_MB sets each new SQLite connection's mmap_size; 0 turns it off."""
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'x.db'}")
    configure_engine(engine, mmap_mb=mmap_mb)
    try:
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA mmap_size").scalar() == mmap_mb * 1024 * 1024
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    finally:
        engine.dispose()


def test_engine_options_per_database():
    base = {"pool_pre_ping": True}
    assert engine_options("sqlite:///x.db", base) == base
    pg = engine_options("postgresql+psycopg://u@h/db", base)
    assert pg == {"pool_pre_ping": True, "connect_args": {"options": "-c jit=off"}}
    given = {"connect_args": {"options": "-c statement_timeout=5000", "connect_timeout": 3}}
    assert engine_options("postgresql://u@h/db", given)["connect_args"] == {
        "options": "-c statement_timeout=5000 -c jit=off",
        "connect_timeout": 3,
    }
    with_path = engine_options("postgresql+psycopg://u@h/db?options=-csearch_path%3Dbench_x", base)
    assert with_path["connect_args"] == {"options": "-csearch_path=bench_x -c jit=off"}
    assert engine_options("postgresql://u@h/db", {"connect_args": {"options": "-c jit=on"}}) == {
        "connect_args": {"options": "-c jit=on"}
    }
    assert base == {"pool_pre_ping": True}  # the class attribute is not changed


def test_pool_sizes_apply_to_postgresql_and_given_options_win():
    pool = {"pool_size": 3, "max_overflow": 1}
    assert engine_options("sqlite:///x.db", {}, **pool) == {}
    pg = engine_options("postgresql+psycopg://u@h/db", {}, **pool)
    assert (pg["pool_size"], pg["max_overflow"]) == (3, 1)
    assert engine_options("postgresql+psycopg://u@h/db", {"pool_size": 20}, **pool)["pool_size"] == 20


def test_the_engine_has_the_configured_pool(app):
    with app.app_context():
        if _db.engine.dialect.name != "postgresql":
            pytest.skip("SQLite keeps SQLAlchemy's own pool")
        assert (_db.engine.pool.size(), _db.engine.pool._max_overflow) == (
            app.config["DB_POOL_SIZE"],
            app.config["DB_MAX_OVERFLOW"],
        )


def test_times_are_stored_and_read_as_utc(db):
    at = datetime(2026, 3, 29, 3, 30, tzinfo=timezone(timedelta(hours=3)))
    entry = AuditLog(action="test", at=at)
    db.session.add(entry)
    db.session.commit()
    db.session.expire_all()
    loaded = db.session.get(AuditLog, entry.id)
    assert loaded.at == at and loaded.at.tzinfo is not None and loaded.at.utcoffset() == timedelta(0)


def test_naive_datetimes_are_refused(db):
    db.session.add(AuditLog(action="test", at=datetime(2026, 1, 1)))
    with pytest.raises(sa.exc.StatementError):
        db.session.commit()
    db.session.rollback()


def test_seed_demo_builds_kainuu_world_and_is_idempotent(app, db):
    runner = app.test_cli_runner()
    first = runner.invoke(args=["seed-demo"])
    assert first.exit_code == 0, first.output

    def counts():
        return [
            db.session.scalar(sa.select(sa.func.count(m.id)))
            for m in (User, Organization, HelperProfile, Elder, HelpRequest)
        ]

    after_first = counts()
    second = runner.invoke(args=["seed-demo"])
    assert second.exit_code == 0, second.output
    assert counts() == after_first
    users, orgs, helpers, elders, requests = after_first
    # 30 + 40, and the week plan's two Lohtaja helpers and two neighbours.
    assert helpers == 32 and elders == 42 and orgs >= 9 and requests > 20
    plan = db.session.scalar(sa.select(WeekPlan))
    assert plan.figures["plan"]["covered"] > plan.figures["best_first"]["covered"]
    states = set(db.session.scalars(sa.select(Errand.state).distinct()))
    assert {"open", "offered", "assigned", "done"} <= states
    municipalities = {e.municipality.name for e in db.session.scalars(sa.select(Elder))}
    assert {"Kajaani", "Kuhmo", "Sotkamo", "Suomussalmi", "Paltamo"} <= municipalities
    years = list(db.session.scalars(sa.select(Elder.birth_year)))
    known = [y for y in years if y is not None]
    assert len(known) > len(years) / 2 and all(1930 <= y <= 1950 for y in known)  # most, plausible
    assert "kaisa.koordinaattori@demo.arjenpelastajat.fi" in first.output


def test_seed_demo_if_empty_does_nothing_when_data_exists(app, db, make):
    make.coordinator()
    result = app.test_cli_runner().invoke(args=["seed-demo", "--if-empty"])
    assert "not seeded" in result.output
    assert db.session.scalar(sa.select(sa.func.count(HelperProfile.id))) == 0


def test_utc_now_default_is_aware(db, make):
    org = make.organization()
    assert org.created_at.tzinfo is not None
    assert abs(org.created_at - datetime.now(UTC)) < timedelta(minutes=1)
