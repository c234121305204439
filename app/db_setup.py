"""Engine settings per database.

SQLite gets WAL, a busy timeout and foreign keys. PostgreSQL gets ``jit=off``:
the app's statements are short, index-driven reads, and PostgreSQL's JIT
compiler (on by default from version 11) spent ~60 ms compiling the matching
statement that then ran in 3 ms (bench/README.md).
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

POSTGRESQL_OPTIONS = "-c jit=off"


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


def configure_engine(engine: Engine) -> None:
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
