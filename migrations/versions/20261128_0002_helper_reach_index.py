"""PostgreSQL: a GiST index on each helper's reach (organization, reach box)

Matching asks "which helpers of these organizations can reach this point?".
On PostgreSQL this index answers it directly: every helper's reach (their own
travel limit plus 25 % and 1 km, the same as app.errands.matching_service) as a
latitude/longitude box, led by the organization (btree_gist), so a ranking
reads only the network's helpers who can come instead of every helper in a
50 km square. SQLite keeps the plain (lat, lon) index and reads in rings.

The expression must stay identical to ``app.errands.matching_service.REACH_BOX_SQL``
(tests/errands_coordinator/test_matching_service.py checks the plan uses it).

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 00:40:00
"""

from alembic import op


revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_R = "(max_distance_km * 1.25 + 1.0) / 111.1950802335329"
_DLON = f"{_R} / cos(radians(least(abs(lat) + {_R}, 89.0)))"
REACH_BOX_SQL = f"box(point(lat - {_R}, lon - {_DLON}), point(lat + {_R}, lon + {_DLON}))"


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    # btree_gist lets a GiST index lead with the integer organization_id; it is a
    # trusted contrib extension (PostgreSQL 13+: the database owner may create it).
    # In public, so that dropping another schema never takes it (and this index) along.
    op.execute("CREATE EXTENSION IF NOT EXISTS btree_gist WITH SCHEMA public")
    op.execute(
        f"CREATE INDEX ix_helper_profiles_reach ON helper_profiles USING gist (organization_id, ({REACH_BOX_SQL}))"
    )


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("DROP INDEX IF EXISTS ix_helper_profiles_reach")
