"""Helpers' positions in a metric plane, indexed for nearest-neighbour search

Matching asks for the network's approved helpers nearest to a person. Each
helper's point is kept in kilometres on the spherical transverse Mercator
projection around Finland's central meridian 27° E (the projection of
ETRS-TM35FIN / EPSG:3067, on the sphere the matcher scores with, scale 1 on the
meridian), so that plain Euclidean distance in the index is the true distance
order: the projection is conformal and its scale, 1 / sqrt(1 - (cos(lat) *
sin(lon - 27°))^2), is 1.0008 at the eastern border and 1.0023 on Åland's western edge, and
varies by under 0.07 % across any 63 km neighbourhood. The exact great-circle
check follows in the matcher (app.matching.geo owns the formula; a test checks
the database computes the same).

* PostgreSQL: ``helper_profiles.pos``, a ``point`` generated from lat/lon (the
  database keeps it in sync on every write path, COPY included), and a GiST
  index on (organization_id, pos) of the approved helpers (btree_gist, created
  by 0002): ``ORDER BY pos <-> here`` per organization of the network. It
  replaces 0002's reach index.
* SQLite: an R*Tree ``helper_near`` of the approved helpers with coordinates
  (x, y, organization as a third dimension, max_distance_km as an auxiliary
  column), kept in sync by triggers on helper_profiles.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-05 13:00:00
"""

from alembic import op


revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# app.matching.geo.metric_km, in SQL (tests/errands_coordinator/test_matching_knn.py checks they agree).
_IN_RANGE = "{lat} BETWEEN -89.0 AND 89.0 AND abs({lon} - 27.0) < 80.0"
_X = "6371.0088 * atanh(cos(radians({lat})) * sin(radians({lon} - 27.0)))"
_Y = "6371.0088 * atan(tan(radians({lat})) / cos(radians({lon} - 27.0)))"

_REACH_R = "(max_distance_km * 1.25 + 1.0) / 111.1950802335329"
_REACH_DLON = f"{_REACH_R} / cos(radians(least(abs(lat) + {_REACH_R}, 89.0)))"
_REACH_BOX = f"box(point(lat - {_REACH_R}, lon - {_REACH_DLON}), point(lat + {_REACH_R}, lon + {_REACH_DLON}))"

# SQLite: the helper's row in the R*Tree, when approved with coordinates and an organization.
_SQLITE_ROW = (
    "INSERT INTO helper_near (id, x0, x1, y0, y1, org0, org1, max_distance_km) "
    "SELECT id, x, x, y, y, org, org, km FROM (SELECT {p}.id AS id, "
    + _X.format(lat="{p}.lat", lon="{p}.lon")
    + " AS x, "
    + _Y.format(lat="{p}.lat", lon="{p}.lon")
    + " AS y, "
    "{p}.organization_id AS org, {p}.max_distance_km AS km{from_} WHERE {where})"
)
_SQLITE_WHERE = (
    "{p}.status = 'approved' AND {p}.organization_id IS NOT NULL AND {p}.lat IS NOT NULL "
    "AND {p}.lon IS NOT NULL AND " + _IN_RANGE.format(lat="{p}.lat", lon="{p}.lon")
)


def _sqlite_row(p: str, from_: str = "") -> str:
    return _SQLITE_ROW.format(p=p, from_=from_, where=_SQLITE_WHERE.format(p=p))


def upgrade():
    if op.get_bind().dialect.name == "postgresql":
        lat, lon = "lat", "lon"
        pos = f"CASE WHEN {_IN_RANGE.format(lat=lat, lon=lon)} THEN point({_X.format(lat=lat, lon=lon)}, {_Y.format(lat=lat, lon=lon)}) END"
        op.execute(f"ALTER TABLE helper_profiles ADD COLUMN pos point GENERATED ALWAYS AS ({pos}) STORED")
        op.execute(
            "CREATE INDEX ix_helper_profiles_near ON helper_profiles USING gist (organization_id, pos) "
            "INCLUDE (id, max_distance_km) WHERE status = 'approved'"
        )
        op.execute("DROP INDEX IF EXISTS ix_helper_profiles_reach")
        return
    op.execute("CREATE VIRTUAL TABLE helper_near USING rtree(id, x0, x1, y0, y1, org0, org1, +max_distance_km)")
    op.execute(_sqlite_row("h", " FROM helper_profiles h"))
    op.execute(
        "CREATE TRIGGER helper_near_insert AFTER INSERT ON helper_profiles BEGIN " + _sqlite_row("new") + "; END"
    )
    op.execute(
        "CREATE TRIGGER helper_near_update AFTER UPDATE OF lat, lon, status, organization_id, max_distance_km "
        "ON helper_profiles BEGIN DELETE FROM helper_near WHERE id = old.id; " + _sqlite_row("new") + "; END"
    )
    op.execute(
        "CREATE TRIGGER helper_near_delete AFTER DELETE ON helper_profiles BEGIN "
        "DELETE FROM helper_near WHERE id = old.id; END"
    )


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE INDEX ix_helper_profiles_reach ON helper_profiles USING gist (organization_id, ({_REACH_BOX}))"
        )
        op.execute("DROP INDEX IF EXISTS ix_helper_profiles_near")
        op.execute("ALTER TABLE helper_profiles DROP COLUMN pos")
        return
    for name in ("insert", "update", "delete"):
        op.execute(f"DROP TRIGGER IF EXISTS helper_near_{name}")
    op.execute("DROP TABLE IF EXISTS helper_near")
