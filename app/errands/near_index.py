"""SQLite's R*Tree of the approved helpers' positions (``helper_near``, migration 0004),
rebuilt in order by the scheduler's nightly job and ``flask --app wsgi rebuild-near-index``.

The triggers of migration 0004 keep the tree in step with every write, one entry at
a time, in the order helpers sign up and change. A tree grown that way has nodes
whose boxes mix organizations and far-apart places, so even a small box visits many
of them. Inserted again sorted by (organization, x, y), neighbouring entries share
nodes. At 1,000,000 helpers a 0.5 km box took 0.28 ms as grown and 0.05 ms as
rebuilt, and the matcher's candidate statement took 2.4 instead of 3.6 ms of CPU
(bench/README.md). The rows are the same; only their layout changes.

While it runs (one transaction), other writers wait: about 0.3 s at 10,000 helpers,
tens of seconds at a million. PostgreSQL's GiST index needs nothing of the kind
(nothing is done there).
"""

from __future__ import annotations

from app.extensions import db


def rebuild_near_index() -> int:
    """Insert every entry of the SQLite R*Tree again in (organization, x, y) order, in
    the session's transaction (the caller commits); the number of entries (0 on
    PostgreSQL)."""
    connection = db.session.connection()
    if connection.dialect.name != "sqlite":
        return 0
    connection.exec_driver_sql("CREATE TEMP TABLE near_rebuild AS SELECT * FROM helper_near")
    try:
        connection.exec_driver_sql("DELETE FROM helper_near")
        connection.exec_driver_sql("INSERT INTO helper_near SELECT * FROM near_rebuild ORDER BY org0, x0, y0")
        return connection.exec_driver_sql("SELECT count(*) FROM near_rebuild").scalar_one()
    finally:
        connection.exec_driver_sql("DROP TABLE temp.near_rebuild")
