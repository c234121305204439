"""elders.birth_year: for the duplicate check at intake (optional)

A similar name counts as "the same person?" only when the birth years agree or
either is unknown.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 17:05:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


# Plain ADD/DROP COLUMN on both engines (SQLite 3.35+ drops a column in place): a batch copy
# of `elders` would fail on SQLite once other tables refer to its rows.
def upgrade():
    op.add_column("elders", sa.Column("birth_year", sa.SmallInteger(), nullable=True))


def downgrade():
    op.drop_column("elders", "birth_year")
