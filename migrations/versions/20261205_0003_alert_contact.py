"""coordinator_alerts.contact_id: the contact person an undelivered text was for

The "text message not delivered" alert names the number that failed: the
older person's own or their contact person's. Removing the contact person
loosens the link (ON DELETE SET NULL).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 10:40:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("coordinator_alerts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("contact_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_coordinator_alerts_contact_id_contact_persons"),
            "contact_persons",
            ["contact_id"],
            ["id"],
            ondelete="SET NULL",
        )


def downgrade():
    with op.batch_alter_table("coordinator_alerts", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_coordinator_alerts_contact_id_contact_persons"), type_="foreignkey")
        batch_op.drop_column("contact_id")
