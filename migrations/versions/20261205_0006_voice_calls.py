"""Voice calls: the outbox row's channel (sms|voice) and a call's own fields

Automated calls to landlines go through the same outbox table and dispatcher
as SMS (issue 16): ``channel`` says which, and a call records its Twilio
status, who answered (machine detection), the keys pressed and the tries.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-05 16:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("sms_messages") as batch:
        batch.add_column(sa.Column("channel", sa.String(length=5), server_default="sms", nullable=False))
        batch.add_column(sa.Column("call_status", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("answered_by", sa.String(length=24), nullable=True))
        batch.add_column(sa.Column("digits", sa.String(length=16), nullable=True))
        batch.add_column(sa.Column("tries", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("sms_messages") as batch:
        batch.drop_column("tries")
        batch.drop_column("digits")
        batch.drop_column("answered_by")
        batch.drop_column("call_status")
        batch.drop_column("channel")
