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


def upgrade():
    with op.batch_alter_table("elders", schema=None) as batch_op:
        batch_op.add_column(sa.Column("birth_year", sa.SmallInteger(), nullable=True))


def downgrade():
    with op.batch_alter_table("elders", schema=None) as batch_op:
        batch_op.drop_column("birth_year")
