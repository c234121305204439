"""The week plan: helpers' weekly caps and availability exceptions, draft week plans and their lines

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-05 16:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD/DROP COLUMN (no batch copy on SQLite: the table has the R*Tree triggers of 0004).
    op.add_column("helper_profiles", sa.Column("max_errands_week", sa.Integer(), nullable=True))
    op.add_column("helper_profiles", sa.Column("max_hours_week", sa.Double(), nullable=True))
    op.create_table(
        "availability_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=False),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["helper_id"],
            ["helper_profiles.id"],
            name=op.f("fk_availability_exceptions_helper_id_helper_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_availability_exceptions")),
    )
    op.create_index(
        op.f("ix_availability_exceptions_helper_id"), "availability_exceptions", ["helper_id"], unique=False
    )
    op.create_table(
        "week_plans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=False),
        sa.Column("week_start", sa.Date(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("solved_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("solver_status", sa.String(length=40), nullable=False),
        sa.Column("gap", sa.Double(), nullable=True),
        sa.Column("seconds", sa.Double(), nullable=False),
        sa.Column("figures", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organization_id"],
            ["organizations.id"],
            name=op.f("fk_week_plans_organization_id_organizations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_week_plans_created_by_id_users"), ondelete="SET NULL"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_week_plans")),
        sa.UniqueConstraint("organization_id", "week_start", name=op.f("uq_week_plans_organization_id_week_start")),
    )
    op.create_table(
        "week_plan_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.Integer(), nullable=False),
        sa.Column("errand_id", sa.Integer(), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("locked", sa.Boolean(), nullable=False),
        sa.Column("score", sa.Double(), nullable=True),
        sa.Column("km", sa.Double(), nullable=True),
        sa.Column("regular", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.JSON(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("why", sa.String(length=24), nullable=True),
        sa.Column("offered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["plan_id"], ["week_plans.id"], name=op.f("fk_week_plan_lines_plan_id_week_plans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["errand_id"], ["errands.id"], name=op.f("fk_week_plan_lines_errand_id_errands"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["helper_id"],
            ["helper_profiles.id"],
            name=op.f("fk_week_plan_lines_helper_id_helper_profiles"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_week_plan_lines")),
    )
    op.create_index(op.f("ix_week_plan_lines_plan_id"), "week_plan_lines", ["plan_id"], unique=False)


def downgrade():
    op.drop_index(op.f("ix_week_plan_lines_plan_id"), table_name="week_plan_lines")
    op.drop_table("week_plan_lines")
    op.drop_table("week_plans")
    op.drop_index(op.f("ix_availability_exceptions_helper_id"), table_name="availability_exceptions")
    op.drop_table("availability_exceptions")
    op.drop_column("helper_profiles", "max_hours_week")
    op.drop_column("helper_profiles", "max_errands_week")
