"""What a request sends to the database, statement by statement: whether each ran inside a
transaction and under which ``plan_cache_mode`` (for the pages that read outside a
transaction on PostgreSQL, :func:`app.db_setup.reads_outside_a_transaction`)."""

from __future__ import annotations

from collections.abc import Callable
from typing import NamedTuple

import psycopg
import sqlalchemy as sa


class Sent(NamedTuple):
    words: str  # the statement's first two words
    in_transaction: bool
    plan_cache_mode: str | None  # PostgreSQL's setting when it was sent


def in_transaction(connection: sa.Connection) -> bool:
    """Whether the driver's connection under ``connection`` is inside a transaction now."""
    driver = connection.connection.driver_connection
    if isinstance(driver, psycopg.Connection):
        return driver.info.transaction_status != psycopg.pq.TransactionStatus.IDLE
    return driver.in_transaction


def statements_sent(engine, run: Callable[[], object]) -> list[Sent]:
    """Each statement ``run`` sends through ``engine`` (PostgreSQL's setting read on the side)."""
    seen: list[Sent] = []

    def before(conn, cursor, statement, *args):
        setting = None
        if conn.dialect.name == "postgresql":
            with conn.connection.dbapi_connection.cursor() as probe:
                setting = probe.execute("SELECT current_setting('plan_cache_mode')").fetchone()[0]
        seen.append(Sent(" ".join(statement.split()[:2]), in_transaction(conn), setting))

    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        run()
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    return seen


def reads(sent: list[Sent]) -> list[Sent]:
    return [s for s in sent if s.words.startswith(("SELECT", "WITH"))]


def assert_pool_as_before(engine) -> None:
    """Every pooled connection plans as PostgreSQL's default and begins transactions again."""
    connections = [engine.connect() for _ in range(engine.pool.checkedin())]
    try:
        for connection in connections:
            assert connection.exec_driver_sql("SELECT current_setting('plan_cache_mode')").scalar() == "auto"
            assert in_transaction(connection)
    finally:
        for connection in connections:
            connection.close()
