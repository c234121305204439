"""Engine settings per database.

SQLite gets WAL, a busy timeout and foreign keys. PostgreSQL gets ``jit=off``:
the app's statements are short, index-driven reads, and PostgreSQL's JIT
compiler (on by default from version 11) spent ~60 ms compiling the matching
statement that then ran in 3 ms (bench/README.md).
"""

from __future__ import annotations

import logging
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

log = logging.getLogger(__name__)

POSTGRESQL_OPTIONS = "-c jit=off"

#: Indexes a hand-written migration makes on PostgreSQL only (not in the models,
#: so that SQLite's ``create_all`` and autogenerate never see them).
POSTGRESQL_ONLY_INDEXES = frozenset({"ix_helper_profiles_reach"})


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    """Alembic's autogenerate filter: the PostgreSQL-only indexes are not model drift."""
    return not (type_ == "index" and reflected and compare_to is None and name in POSTGRESQL_ONLY_INDEXES)


def engine_options(uri: str, options: dict[str, Any]) -> dict[str, Any]:
    """``SQLALCHEMY_ENGINE_OPTIONS`` with the per-database connection settings added."""
    if not uri.startswith("postgresql"):
        return options
    connect_args = dict(options.get("connect_args", {}))
    # connect_args replace the URL's own ``?options=...`` (e.g. a search_path): keep both.
    from_url = sa.engine.make_url(uri).query.get("options", "")
    given = " ".join(
        part
        for part in (from_url if isinstance(from_url, str) else " ".join(from_url), connect_args.get("options"))
        if part
    )
    if "jit" not in given:
        connect_args["options"] = f"{given} {POSTGRESQL_OPTIONS}".strip()
    return {**options, "connect_args": connect_args}


#: In a pooled connection's ``info``: its current transaction ran something
#: other than a SELECT (set by the listeners of :func:`configure_engine`).
WROTE = "transaction_wrote"


_SELECTS = (sa.Select, sa.CompoundSelect)


def _is_read(statement: str, context: Any) -> bool:
    """A SELECT, a SET LOCAL, or a WITH ... SELECT whose every CTE is a SELECT
    too (the matcher's and the reports' statements). Anything else counts as a
    write, also a WITH given as text (it could hold an INSERT)."""
    head = statement.lstrip()[:9].upper()
    if head.startswith("SELECT") or head == "SET LOCAL":  # SET LOCAL: a setting until the transaction ends
        return True
    compiled = getattr(context, "compiled", None)
    if not head.startswith("WITH") or compiled is None or not getattr(compiled, "ctes", None):
        return False
    return isinstance(compiled.statement, _SELECTS) and all(isinstance(cte.element, _SELECTS) for cte in compiled.ctes)


def configure_engine(engine: Engine) -> None:
    @sa.event.listens_for(engine, "begin")
    def _transaction_begins(conn) -> None:
        conn.info[WROTE] = False

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _note_writes(conn, cursor, statement, parameters, context, executemany) -> None:
        if not conn.info.get(WROTE) and not _is_read(statement, context):
            conn.info[WROTE] = True

    if engine.dialect.name != "sqlite":
        return

    @sa.event.listens_for(engine, "connect")
    def _sqlite_pragmas(dbapi_connection, _record):
        # Let SQLAlchemy issue BEGIN itself so BEGIN IMMEDIATE can be used.
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA busy_timeout=10000")
        if engine.url.database not in (None, "", ":memory:"):
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()


def plan_once(connection: sa.Connection) -> None:
    """PostgreSQL: for the rest of this transaction, a prepared statement is
    planned once for any parameters (``plan_cache_mode``), not again for each
    run's values. For statements whose plan is the same whatever the values
    but costs more to make than to run: the helper's board statement was
    planned anew on every request (1.2 ms, the run 0.8 ms) because PostgreSQL
    kept estimating a custom plan cheaper. Ends with the transaction."""
    if connection.dialect.name == "postgresql":
        connection.exec_driver_sql("SET LOCAL plan_cache_mode = force_generic_plan")


def end_session(exc: BaseException | None = None) -> None:
    """End the request's (or job's) database session.

    A transaction that only read is committed rather than rolled back: the same
    for the data, but psycopg forgets a connection's prepared statements at every
    rollback, so PostgreSQL would parse and plan every statement of every request
    again (3 ms of the candidate ranking; bench/README.md). Anything that wrote,
    has unflushed changes or ended in an error is rolled back as before.
    """
    from app.extensions import db

    session = db.session()  # the scoped session's Session of this context
    try:
        unchanged = not (session.new or session.dirty or session.deleted)
        only_read = exc is None and session.is_active and session.in_transaction() and unchanged
        if only_read and not session.connection().info.get(WROTE, True):
            session.commit()
    except sa.exc.SQLAlchemyError:
        log.warning("Could not end a read-only transaction with COMMIT; rolling back", exc_info=True)
    finally:
        db.session.remove()
