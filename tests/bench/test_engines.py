"""``python -m bench --engines sqlite,postgresql`` (``make bench``): both engines in one run."""

from __future__ import annotations

import logging
import uuid

import pytest
import sqlalchemy as sa

from bench import __main__ as bench_main
from bench import common


def test_sqlite_engine_clears_the_postgresql_url(monkeypatch):
    monkeypatch.setenv("BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/bench")
    bench_main.use_engine("sqlite")
    assert common.engine_name() == "sqlite"
    assert common.dataset_url("h1").startswith("sqlite:///")


def test_postgresql_engine_makes_its_database_when_missing(monkeypatch):
    name = f"bench_engines_{uuid.uuid4().hex[:8]}"
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    admin = sa.create_engine("postgresql+psycopg://postgres@127.0.0.1:5432/postgres", isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text("SELECT 1"))
    except sa.exc.OperationalError:
        admin.dispose()
        pytest.skip("needs PostgreSQL on 127.0.0.1:5432 (CI runs it)")
    monkeypatch.setenv("BENCH_DATABASE_URL", url)
    try:
        bench_main.use_engine("postgresql")
        bench_main.use_engine("postgresql")  # a second time: it exists, nothing happens
        assert common.engine_name() == "postgresql"
        with admin.connect() as conn:
            assert conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": name}) == 1
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        admin.dispose()


def test_unknown_engine_is_refused_before_anything_is_set(capsys):
    levels = {name: logging.getLogger(name).level for name in ("", "app.sms", "app.scheduling", "alembic")}
    with pytest.raises(SystemExit):
        bench_main.main(["--engines", "mysql", "--only", "nothing"])
    assert "unknown engine" in capsys.readouterr().err
    # The benchmark quietens the app's loggers only once it runs (a refused run leaves them alone).
    assert {name: logging.getLogger(name).level for name in levels} == levels
