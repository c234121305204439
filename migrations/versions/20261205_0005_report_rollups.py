"""Report rollups: errands, requests, encounters and people per day and area, and stage changes

The report page sums these instead of reading every errand and encounter of
the period (issue 15). They are filled by ``flask rebuild-rollups`` (or the
scheduler's "rollups" job) after this migration; until then reports of past
days read zero.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-05 13:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _day_table(name, *columns, covering=()):
    op.create_table(
        name,
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        *columns,
        sa.PrimaryKeyConstraint("id", name=op.f(f"pk_{name}")),
    )
    op.create_index(op.f(f"ix_{name}_day"), name, ["day"], unique=False)
    op.create_index(f"ix_{name}_muni_day", name, ["municipality_id", "day", *covering], unique=False)


def upgrade():
    _day_table(
        "rollup_errand_days",
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("task_type_id", sa.Integer(), nullable=False),
        sa.Column("due", sa.Integer(), nullable=False),
        sa.Column("cancelled_by_elder", sa.Integer(), nullable=False),
        sa.Column("waiting_if_ahead", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("done", sa.Integer(), nullable=False),
        sa.Column("match_seconds", sa.Float(), nullable=False),
        sa.Column("done_minutes", sa.Integer(), nullable=False),
    )
    _day_table(
        "rollup_match_minutes",
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("errands", sa.Integer(), nullable=False),
    )
    _day_table(
        "rollup_request_days",
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("task_type_id", sa.Integer(), nullable=False),
        sa.Column("requests", sa.Integer(), nullable=False),
    )
    _day_table(
        "rollup_encounter_days",
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("encounters", sa.Integer(), nullable=False),
        sa.Column("minutes", sa.Integer(), nullable=False),
        sa.Column("helper_minutes", sa.Integer(), nullable=False),
    )
    _day_table(
        "rollup_person_days",
        sa.Column("source", sa.String(length=9), nullable=False),
        sa.Column("person_kind", sa.String(length=6), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        covering=("organization_id", "source", "person_kind", "person_id"),
    )
    op.create_table(
        "stage_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("helper_id", sa.Integer(), nullable=True),
        sa.Column("elder_id", sa.Integer(), nullable=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("stage", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_stage_changes")),
    )
    op.create_index("ix_stage_changes_helper", "stage_changes", ["subject_kind", "helper_id", "at"], unique=False)
    op.create_index("ix_stage_changes_elder", "stage_changes", ["subject_kind", "elder_id", "at"], unique=False)
    op.create_index("ix_errands_starts_at", "errands", ["starts_at"], unique=False)
    op.create_index(
        "ix_helper_profiles_area_count",
        "helper_profiles",
        ["municipality_id", "status", "organization_id", "village_id"],
        unique=False,
    )
    op.create_index("ix_help_requests_created_at", "help_requests", ["created_at"], unique=False)


def downgrade():
    op.drop_index("ix_help_requests_created_at", table_name="help_requests")
    op.drop_index("ix_helper_profiles_area_count", table_name="helper_profiles")
    op.drop_index("ix_errands_starts_at", table_name="errands")
    op.drop_index("ix_stage_changes_elder", table_name="stage_changes")
    op.drop_index("ix_stage_changes_helper", table_name="stage_changes")
    op.drop_table("stage_changes")
    for name in (
        "rollup_person_days",
        "rollup_encounter_days",
        "rollup_request_days",
        "rollup_match_minutes",
        "rollup_errand_days",
    ):
        op.drop_index(f"ix_{name}_muni_day", table_name=name)
        op.drop_index(op.f(f"ix_{name}_day"), table_name=name)
        op.drop_table(name)
