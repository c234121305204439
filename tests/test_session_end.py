"""How a request's (or job's) database session ends: a transaction that only
read is committed, so psycopg keeps the connection's prepared statements on
PostgreSQL; anything that wrote, has unflushed changes or failed is rolled back."""

from __future__ import annotations

import contextlib
from types import SimpleNamespace

import pytest
import sqlalchemy as sa

from app.db_setup import _is_read, end_session, plan_once
from app.models import AuditLog


@contextlib.contextmanager
def transaction_ends(engine):
    seen: list[str] = []

    def on_commit(conn):
        seen.append("commit")

    def on_rollback(conn):
        seen.append("rollback")

    sa.event.listen(engine, "commit", on_commit)
    sa.event.listen(engine, "rollback", on_rollback)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "commit", on_commit)
        sa.event.remove(engine, "rollback", on_rollback)


def _audit_count(db) -> int:
    return db.session.scalar(sa.select(sa.func.count(AuditLog.id)))


def test_a_session_that_only_read_ends_with_commit(db):
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        _audit_count(db)
        end_session()
    assert seen == ["commit"]


def test_a_select_with_common_table_expressions_counts_as_a_read(db):
    db.session.remove()
    recent = sa.select(AuditLog.id).where(AuditLog.action == "x").cte("recent")
    with transaction_ends(db.engine) as seen:
        db.session.execute(sa.select(sa.func.count()).select_from(recent))
        end_session()
    assert seen == ["commit"]


@pytest.mark.parametrize("how", ["insert in a CTE", "WITH as text"])
def test_a_with_statement_that_may_write_is_rolled_back(db, how):
    db.session.remove()
    if how == "insert in a CTE":
        added = sa.insert(AuditLog).values(action="left over").returning(AuditLog.id).cte("added")
        statement = sa.select(added.c.id)
        if db.engine.dialect.name == "sqlite":  # SQLite has no INSERT in a WITH: the rule alone
            compiled = statement.compile(db.engine)
            assert not _is_read(str(compiled), SimpleNamespace(compiled=compiled))
            return
    else:
        statement = sa.text("WITH added AS (SELECT 1 AS id) SELECT id FROM added")
    with transaction_ends(db.engine) as seen:
        db.session.execute(statement)
        end_session()
    assert seen == ["rollback"]
    assert _audit_count(db) == 0


def test_a_session_that_wrote_without_committing_is_rolled_back(db):
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        db.session.connection().execute(sa.insert(AuditLog).values(action="left over"))
        end_session()
    assert seen == ["rollback"]
    assert _audit_count(db) == 0


def test_unflushed_changes_and_errors_are_rolled_back(db):
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        _audit_count(db)
        db.session.add(AuditLog(action="never flushed"))
        end_session()
        _audit_count(db)
        end_session(RuntimeError("the request failed"))
    assert seen == ["rollback", "rollback"]
    assert _audit_count(db) == 0


def test_a_request_that_only_reads_ends_with_commit(client, db):
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        assert client.get("/healthz").status_code == 200
    assert "rollback" not in seen


def test_prepared_statements_outlive_read_only_requests(db):
    """PostgreSQL: psycopg prepares a statement run five times on a connection and
    keeps it while nothing rolls back, so the server stops planning it again."""
    db.session.remove()
    statement = sa.select(AuditLog.id).where(AuditLog.action == sa.bindparam("action"))
    for _ in range(30):  # across the pooled connections, one session at a time
        db.session.execute(statement, {"action": "x"}).all()
        end_session()
    if db.engine.dialect.name != "postgresql":
        assert db.session.execute(statement, {"action": "x"}).all() == []
        return
    prepared = db.session.scalar(
        sa.text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%audit_log%'")
    )
    assert prepared >= 1


def test_a_session_left_after_a_failed_flush_is_rolled_back_quietly(db, caplog):
    from datetime import datetime

    db.session.remove()
    _audit_count(db)
    db.session.add(AuditLog(action="test", at=datetime(2026, 1, 1)))  # naive: refused
    with pytest.raises(sa.exc.StatementError):
        db.session.flush()
    with transaction_ends(db.engine) as seen:
        end_session()
    assert "commit" not in seen
    assert "Could not end" not in caplog.text
    assert _audit_count(db) == 0


def _plan_cache_mode(db) -> str:
    return db.session.connection().exec_driver_sql("SELECT current_setting('plan_cache_mode')").scalar()


def test_plan_once_lasts_until_the_transaction_ends(db):
    """PostgreSQL: generic plans for the rest of the transaction only; the
    transaction still counts as a read (ends with COMMIT). SQLite: nothing."""
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        plan_once(db.session.connection())
        if db.engine.dialect.name == "postgresql":
            assert _plan_cache_mode(db) == "force_generic_plan"
        _audit_count(db)
        end_session()
    assert seen == ["commit"]
    if db.engine.dialect.name == "postgresql":
        assert _plan_cache_mode(db) == "auto"
    end_session()


def test_the_helpers_board_ends_with_commit(db, make, client):
    helper = make.helper()
    db.session.commit()
    client.login(helper.user.email)
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        assert client.get("/board").status_code == 200
    assert "rollback" not in seen
