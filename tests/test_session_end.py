"""How a request's (or job's) database session ends, and read-only work.

A transaction in which the session wrote nothing is committed, so psycopg keeps
the connection's prepared statements on PostgreSQL; anything that wrote, has
unflushed changes or failed is rolled back. ``read_only()`` blocks refuse a
write before it reaches the database."""

from __future__ import annotations

import contextlib

import pytest
import sqlalchemy as sa

from app.db_setup import (
    ReadOnlyError,
    end_session,
    one_statement,
    plan_once,
    read_only,
    read_only_reads,
    reads_outside_a_transaction,
)
from app.models import AuditLog
from tests.transactions import in_transaction as _in_transaction


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


@contextlib.contextmanager
def statements_seen(engine):
    """The first word of each statement sent through ``engine`` in the block."""
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement.split()[0].upper())

    sa.event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        sa.event.remove(engine, "before_cursor_execute", seen)


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


@pytest.mark.parametrize("how", ["flush", "insert", "update"])
def test_a_session_that_wrote_without_committing_is_rolled_back(db, how):
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        if how == "flush":
            db.session.add(AuditLog(action="left over"))
            db.session.flush()
        elif how == "insert":
            db.session.execute(sa.insert(AuditLog).values(action="left over"))
        else:
            _audit_count(db)
            db.session.execute(sa.update(AuditLog).values(action="changed"))
        end_session()
    assert seen == ["rollback"]
    assert _audit_count(db) == 0


def test_a_write_before_a_savepoint_or_read_only_still_counts(db):
    """A SAVEPOINT (as accepting an errand makes) or a read_only() block does
    not make the transaction's earlier writes look unwritten."""
    db.session.remove()
    with transaction_ends(db.engine) as seen:
        db.session.add(AuditLog(action="left over"))
        db.session.flush()
        with db.session.begin_nested():
            _audit_count(db)
        with read_only():
            _audit_count(db)
        end_session()
    assert seen == ["rollback"]
    assert _audit_count(db) == 0


@pytest.mark.parametrize("how", ["flush", "insert", "update", "delete"])
def test_a_write_inside_read_only_is_refused_and_never_kept(db, how):
    """On both engines the write fails before it reaches the database; the
    request then ends with a rollback. What was there before the block stays."""
    db.session.remove()
    db.session.add(AuditLog(action="before"))
    db.session.commit()
    with transaction_ends(db.engine) as seen:
        refused = pytest.raises((ReadOnlyError, sa.exc.StatementError), match="inside read_only")
        with refused, read_only() as session:
            if how == "flush":
                session.add(AuditLog(action="inside"))
                session.flush()
            elif how == "insert":
                session.execute(sa.insert(AuditLog).values(action="inside"))
            elif how == "update":
                session.execute(sa.update(AuditLog).values(action="inside"))
            else:
                session.execute(sa.delete(AuditLog))
        end_session()
    assert seen == ["rollback"]
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["before"]


def test_read_only_neither_commits_nor_rolls_back(db):
    """No COMMIT, no ROLLBACK (psycopg would forget its prepared statements):
    the transaction goes on and may write again after the block."""
    db.session.remove()
    db.session.add(AuditLog(action="kept"))
    db.session.commit()
    with statements_seen(db.engine) as statements, read_only():
        row = db.session.scalars(sa.select(AuditLog)).one()
    assert statements and all(s == "SELECT" for s in statements)
    assert row.action == "kept"
    db.session.execute(sa.insert(AuditLog).values(action="after"))  # the transaction writes again
    db.session.commit()
    assert _audit_count(db) == 2


def test_a_block_inside_another_stays_read_only_and_the_connection_writes_after_both(db):
    """The refusal belongs to the connection while a block runs: an inner block's end
    leaves the outer one read-only, and the outer one's end (even by an error) lets the
    next transaction on the same pooled connection write."""
    db.session.remove()
    with read_only() as session:
        with read_only():
            pass
        with pytest.raises((ReadOnlyError, sa.exc.StatementError), match="inside read_only"):
            session.execute(sa.insert(AuditLog).values(action="inside"))
    end_session()
    with pytest.raises(RuntimeError, match="the block failed"), read_only():
        raise RuntimeError("the block failed")
    end_session()
    db.session.execute(sa.insert(AuditLog).values(action="after"))
    db.session.commit()
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["after"]


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


def test_one_statement_reads_outside_a_transaction_on_postgresql(db):
    """Before the session has begun: on PostgreSQL a connection in autocommit (no BEGIN,
    no COMMIT, and the next user of the pooled connection gets its transactions back);
    elsewhere the session's own connection."""
    db.session.remove()
    statement = sa.select(AuditLog.id).where(AuditLog.action == sa.bindparam("action"))
    for _ in range(30):  # across the pooled connections, one at a time
        with one_statement() as connection:
            assert connection.execute(statement, {"action": "x"}).all() == []
            in_transaction = _in_transaction(connection)
            the_sessions = db.session.registry.has() and connection is db.session.connection()
    if db.engine.dialect.name != "postgresql":
        assert the_sessions  # as before
        end_session()
        return
    assert not the_sessions
    assert in_transaction is False
    assert not db.session.registry.has()  # no Session was made for it
    # SQLAlchemy's "rollback" at the end of the block reaches no server (nothing to roll
    # back), so psycopg keeps the statement it prepared at its fifth run.
    prepared = db.session.scalar(
        sa.text("SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%audit_log%'")
    )
    assert prepared >= 1
    end_session()
    _audit_count(db)  # the pooled connection begins transactions again
    assert _in_transaction(db.session.connection()) is True
    end_session()


@pytest.mark.parametrize(
    ("reads", "how"), [(one_statement, "flushed"), (read_only_reads, "flushed"), (read_only_reads, "unflushed")]
)
def test_reads_after_a_change_see_it_in_the_sessions_transaction(db, reads, how):
    """Once the session holds changes, the reads are in its transaction and see them
    (read_only_reads() flushes first, as read_only() does; one_statement() does not)."""
    db.session.remove()
    db.session.add(AuditLog(action="not committed"))
    if how == "flushed":
        db.session.flush()
    with reads() as connection:
        assert connection is db.session.connection()
        assert connection.execute(sa.select(sa.func.count(AuditLog.id))).scalar() == 1
    db.session.rollback()
    assert _audit_count(db) == 0


def test_ending_a_context_that_made_no_session_makes_none(db):
    db.session.remove()
    end_session()
    assert not db.session.registry.has()


def test_read_only_reads_before_the_session_begins(db):
    """The matcher's reads: on PostgreSQL outside a transaction (no BEGIN, no COMMIT, no
    Session made), elsewhere in the session's transaction; writes refused on both."""
    db.session.remove()
    db.session.add(AuditLog(action="kept"))
    db.session.commit()
    db.session.remove()
    with statements_seen(db.engine) as statements, read_only_reads() as connection:
        assert connection.execute(sa.select(AuditLog.action)).scalars().all() == ["kept"]
        assert connection.execute(sa.select(sa.func.count(AuditLog.id))).scalar() == 1
        in_transaction = _in_transaction(connection)
        with pytest.raises((ReadOnlyError, sa.exc.StatementError), match="inside read_only"):
            connection.execute(sa.insert(AuditLog).values(action="inside"))
    assert statements == ["SELECT", "SELECT"]  # the refused INSERT never went out
    if db.engine.dialect.name == "postgresql":
        assert in_transaction is False
        assert not db.session.registry.has()
    end_session()
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["kept"]
    end_session()
    # The pooled connection refuses writes no more, and begins transactions again.
    db.session.add(AuditLog(action="after"))
    db.session.commit()
    assert sorted(db.session.scalars(sa.select(AuditLog.action))) == ["after", "kept"]
    if db.engine.dialect.name == "postgresql":
        assert _in_transaction(db.session.connection()) is True
    end_session()


@reads_outside_a_transaction
def _view_that_writes(action: str) -> None:
    from app.extensions import db

    db.session.add(AuditLog(action=action))
    db.session.flush()


@pytest.mark.parametrize("begun", [False, True], ids=["before-the-session", "after-a-read"])
def test_a_view_marked_as_only_reading_cannot_write_outside_a_transaction(app, db, begun):
    """reads_outside_a_transaction: on PostgreSQL, a write in a view that runs outside a
    transaction is refused before it reaches the database; once the request's session has
    begun (or elsewhere), the view is in the session's transaction as any other."""
    db.session.remove()
    with app.test_request_context("/"):
        if begun:
            _audit_count(db)
        refused = db.engine.dialect.name == "postgresql" and not begun
        with statements_seen(db.engine) as statements:
            if refused:
                with pytest.raises((ReadOnlyError, sa.exc.StatementError), match="inside read_only"):
                    _view_that_writes("inside")
            else:
                _view_that_writes("inside")
        assert ("INSERT" in statements) is not refused
        end_session()
    assert _audit_count(db) == 0  # refused, or rolled back at the end (it was not committed)
    # The pooled connections take writes again, in transactions.
    db.session.add(AuditLog(action="after"))
    db.session.commit()
    assert db.session.scalars(sa.select(AuditLog.action)).all() == ["after"]
    end_session()
