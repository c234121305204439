"""SQLite: the helpers' positions in a grid of 1 km cells (a plain clustered table) instead of the R*Tree

The matcher asks SQLite for the network's approved helpers nearest to a
person, ring by ring (app.errands.matching_service). Migration 0004 answered
that from an R*Tree ``helper_near``; at 1,000,000 helpers the rings took about
1.0 ms of a ranking even with the tree inserted again in order every night
(and 1.9 ms as the triggers grow it). This table answers the same rings from
an ordinary B-tree in about 0.4 ms (bench/README.md, 6 December 2026):

* ``helper_grid``: one row per approved helper with coordinates and an
  organization, the same as 0004's: the point ``(x, y)`` in km on 0004's plane
  (app.matching.geo.metric_km), its cell ``(cx, cy) = (floor(x), floor(y))``
  of 1 km (app.errands.matching_service.GRID_KM), and the travel limit.
  WITHOUT ROWID with the key (organization, cx, cy, id): a ring reads, for each
  organization of the network and each column of cells it covers, one range of
  the key. A B-tree stays in key order however it grows, so there is nothing
  to rebuild at night (the ``near-index`` job and ``flask rebuild-near-index``
  go with the R*Tree).
* Triggers keep it in step with every write on helper_profiles, as 0004's did.

PostgreSQL keeps 0004's GiST index (``ORDER BY pos <-> here``): nothing here.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 04:00:00
"""

import importlib.util
from pathlib import Path

from alembic import op


revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

#: The cell's side in km, as app.errands.matching_service.GRID_KM was when this was written.
GRID_KM = 1.0

# app.matching.geo.metric_km in SQL, as in 0004 (tests/errands_coordinator/test_matching_knn.py checks they agree).
_IN_RANGE = "{p}.lat BETWEEN -89.0 AND 89.0 AND abs({p}.lon - 27.0) < 80.0"
_X = "6371.0088 * atanh(cos(radians({p}.lat)) * sin(radians({p}.lon - 27.0)))"
_Y = "6371.0088 * atan(tan(radians({p}.lat)) / cos(radians({p}.lon - 27.0)))"
_WHERE = (
    "{p}.status = 'approved' AND {p}.organization_id IS NOT NULL AND {p}.lat IS NOT NULL "
    "AND {p}.lon IS NOT NULL AND " + _IN_RANGE
)
_ROW = (
    "INSERT INTO helper_grid (organization_id, cx, cy, id, x, y, max_distance_km) "
    f"SELECT org, CAST(floor(x / {GRID_KM}) AS INTEGER), CAST(floor(y / {GRID_KM}) AS INTEGER), id, x, y, km "
    "FROM (SELECT {p}.id AS id, " + _X + " AS x, " + _Y + " AS y, "
    "{p}.organization_id AS org, {p}.max_distance_km AS km{from_} WHERE " + _WHERE + ")"
)
_TRIGGERS = {
    "insert": "AFTER INSERT ON helper_profiles BEGIN {row}; END",
    "update": (
        "AFTER UPDATE OF lat, lon, status, organization_id, max_distance_km ON helper_profiles "
        "BEGIN DELETE FROM helper_grid WHERE id = old.id; {row}; END"
    ),
    "delete": "AFTER DELETE ON helper_profiles BEGIN DELETE FROM helper_grid WHERE id = old.id; END",
}


def _row(p: str, from_: str = "") -> str:
    return _ROW.replace("{p}", p).replace("{from_}", from_)


def _migration_0004():
    """0004's module, for the downgrade (its R*Tree statements, not a copy of them)."""
    path = Path(__file__).with_name("20261205_0004_helper_nearest.py")
    spec = importlib.util.spec_from_file_location("migration_0004", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def upgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS helper_near_{name}")
    op.execute("DROP TABLE IF EXISTS helper_near")
    op.execute(
        "CREATE TABLE helper_grid (organization_id INTEGER NOT NULL, cx INTEGER NOT NULL, cy INTEGER NOT NULL, "
        "id INTEGER NOT NULL, x REAL NOT NULL, y REAL NOT NULL, max_distance_km REAL, "
        "PRIMARY KEY (organization_id, cx, cy, id)) WITHOUT ROWID"
    )
    # The triggers find a helper's row by id.
    op.execute("CREATE INDEX ix_helper_grid_id ON helper_grid (id)")
    op.execute(_row("h", " FROM helper_profiles h"))
    for name, body in _TRIGGERS.items():
        op.execute(f"CREATE TRIGGER helper_grid_{name} " + body.replace("{row}", _row("new")))


def downgrade():
    if op.get_bind().dialect.name != "sqlite":
        return
    for name in _TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS helper_grid_{name}")
    op.execute("DROP TABLE IF EXISTS helper_grid")
    _migration_0004().upgrade()  # its R*Tree, filled, and its triggers (SQLite part only)
