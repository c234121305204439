"""call_logs and callbacks: the coordinator's phone day; elders' sliders may be "not assessed"

One row per phone call a coordinator handled (who called, number, what about,
outcome, linked person or errand), and the shared queue of callbacks of an
organization's coordinators. An older person's four sliders become nullable:
untouched at intake they are stored as not assessed (NULL), not as 3.

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-05 16:10:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

SLIDERS = ("slider_sociable", "slider_producer", "slider_others", "slider_digital")


def upgrade():
    op.create_table(
        "call_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=True),
        sa.Column("caller_kind", sa.String(length=16), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("topic", sa.String(length=16), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=False),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("elder_id", sa.Integer(), nullable=True),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("errand_id", sa.Integer(), nullable=True),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_call_logs_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["coordinator_id"], ["users.id"], name=op.f("fk_call_logs_coordinator_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elders.id"], name=op.f("fk_call_logs_elder_id_elders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["helper_id"],
            ["helper_profiles.id"],
            name=op.f("fk_call_logs_helper_id_helper_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["errand_id"], ["errands.id"], name=op.f("fk_call_logs_errand_id_errands"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_logs")),
    )
    op.create_index("ix_call_logs_org_called", "call_logs", ["organization_id", "called_at"])
    op.create_index(op.f("ix_call_logs_elder_id"), "call_logs", ["elder_id"])
    op.create_index(op.f("ix_call_logs_helper_id"), "call_logs", ["helper_id"])
    op.create_table(
        "callbacks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("call_id", sa.Integer(), nullable=True),
        sa.Column("elder_id", sa.Integer(), nullable=True),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("note", sa.String(length=300), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_by_id", sa.Integer(), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["organization_id"], ["organizations.id"], name=op.f("fk_callbacks_organization_id_organizations")
        ),
        sa.ForeignKeyConstraint(
            ["call_id"], ["call_logs.id"], name=op.f("fk_callbacks_call_id_call_logs"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["elder_id"], ["elders.id"], name=op.f("fk_callbacks_elder_id_elders"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["helper_id"],
            ["helper_profiles.id"],
            name=op.f("fk_callbacks_helper_id_helper_profiles"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_callbacks_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.ForeignKeyConstraint(
            ["closed_by_id"], ["users.id"], name=op.f("fk_callbacks_closed_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_callbacks")),
    )
    op.create_index("ix_callbacks_org_open", "callbacks", ["organization_id", "outcome", "due_at"])
    op.create_index(op.f("ix_callbacks_elder_id"), "callbacks", ["elder_id"])
    _sliders_nullable(True)


def _sliders_nullable(nullable):
    """SQLite rebuilds the table (other tables refer to it): with foreign keys off, outside a transaction."""

    def alter():
        with op.batch_alter_table("elders", schema=None) as batch_op:
            for name in SLIDERS:
                batch_op.alter_column(name, existing_type=sa.Integer(), nullable=nullable)

    if op.get_bind().dialect.name != "sqlite":
        alter()
        return
    with op.get_context().autocommit_block():
        op.execute("PRAGMA foreign_keys = OFF")
        try:
            alter()
        finally:
            op.execute("PRAGMA foreign_keys = ON")


def downgrade():
    for name in SLIDERS:
        op.execute(sa.text(f"UPDATE elders SET {name} = 3 WHERE {name} IS NULL"))
    _sliders_nullable(False)
    op.drop_index(op.f("ix_callbacks_elder_id"), table_name="callbacks")
    op.drop_index("ix_callbacks_org_open", table_name="callbacks")
    op.drop_table("callbacks")
    op.drop_index(op.f("ix_call_logs_helper_id"), table_name="call_logs")
    op.drop_index(op.f("ix_call_logs_elder_id"), table_name="call_logs")
    op.drop_index("ix_call_logs_org_called", table_name="call_logs")
    op.drop_table("call_logs")
