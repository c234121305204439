"""Check-in rollups for the report's before/after change, people counted per area, and the people's scope on stage changes

- ``rollup_checkin_days``: the well-being check-ins summed per day taken, the
  day of the person's next check-in, organization, municipality, kind and
  measure (:class:`app.models.RollupCheckinDay`). Filled by ``flask
  rebuild-rollups`` after this migration (as 0005's tables): until then the
  report's check-in figures read zero.
- ``rollup_people_counts``: helpers and older people by organization,
  municipality, village and status (filled here).
- ``stage_changes`` gains the organization, municipality and "counted in the
  funnel" (status) of the person, or of the pair's older person, filled here
  from the people's rows, and an index on them: the funnel reads its scope's
  rows by an index range.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-05 19:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

# The statuses the funnel counts (app.encounters.funnel), as they were when this was written.
HELPER_STATUSES_IN_FUNNEL = ("approved",)
ELDER_STATUSES_IN_FUNNEL = ("active", "paused")


def _fill_scope():
    """Each stage change row gets its person's (a pair: its older person's) scope."""
    for kinds, table, column, statuses in (
        (("helper",), "helper_profiles", "helper_id", HELPER_STATUSES_IN_FUNNEL),
        (("elder", "pair"), "elders", "elder_id", ELDER_STATUSES_IN_FUNNEL),
    ):
        statuses_sql = ", ".join(f"'{s}'" for s in statuses)
        kinds_sql = ", ".join(f"'{k}'" for k in kinds)

        def of_person(expression: str, table=table, column=column) -> str:
            return f"(SELECT {expression} FROM {table} p WHERE p.id = stage_changes.{column})"

        op.execute(
            f"UPDATE stage_changes SET"
            f" organization_id = {of_person('p.organization_id')},"
            f" municipality_id = {of_person('p.municipality_id')},"
            f" in_funnel = COALESCE({of_person(f'p.status IN ({statuses_sql})')}, false)"
            f" WHERE subject_kind IN ({kinds_sql})"
        )


def _fill_people_counts():
    for kind, table in (("helper", "helper_profiles"), ("elder", "elders")):
        op.execute(
            "INSERT INTO rollup_people_counts"
            " (person_kind, organization_id, municipality_id, village_id, status, people)"
            f" SELECT '{kind}', organization_id, municipality_id, village_id, status, COUNT(*) FROM {table}"
            " GROUP BY organization_id, municipality_id, village_id, status"
        )


def upgrade():
    op.create_table(
        "rollup_people_counts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_kind", sa.String(length=6), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("village_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_people_counts")),
    )
    op.create_index(
        "ix_rollup_people_counts_scope",
        "rollup_people_counts",
        ["person_kind", "status", "municipality_id", "organization_id"],
        unique=False,
    )
    _fill_people_counts()
    op.create_table(
        "rollup_checkin_days",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("organization_id", sa.Integer(), nullable=True),
        sa.Column("municipality_id", sa.Integer(), nullable=True),
        sa.Column("next_day", sa.Date(), nullable=True),
        sa.Column("subject_kind", sa.String(length=8), nullable=False),
        sa.Column("measure", sa.String(length=24), nullable=False),
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("before_sum", sa.Integer(), nullable=False),
        sa.Column("after_sum", sa.Integer(), nullable=False),
        sa.Column("improved", sa.Integer(), nullable=False),
        sa.Column("worsened", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_rollup_checkin_days")),
    )
    op.create_index(op.f("ix_rollup_checkin_days_day"), "rollup_checkin_days", ["day"], unique=False)
    op.create_index("ix_rollup_checkin_days_muni_day", "rollup_checkin_days", ["municipality_id", "day"], unique=False)
    op.add_column("stage_changes", sa.Column("organization_id", sa.Integer(), nullable=True))
    op.add_column("stage_changes", sa.Column("municipality_id", sa.Integer(), nullable=True))
    op.add_column("stage_changes", sa.Column("in_funnel", sa.Boolean(), nullable=False, server_default=sa.false()))
    _fill_scope()
    op.create_index(  # covering: the funnel reads the index alone
        "ix_stage_changes_scope",
        "stage_changes",
        [
            "subject_kind",
            "in_funnel",
            "municipality_id",
            "organization_id",
            "at",
            "helper_id",
            "elder_id",
            "ends_at",
            "stage",
        ],
        unique=False,
    )


def downgrade():
    op.drop_index("ix_stage_changes_scope", table_name="stage_changes")
    op.drop_column("stage_changes", "in_funnel")
    op.drop_column("stage_changes", "municipality_id")
    op.drop_column("stage_changes", "organization_id")
    op.drop_index("ix_rollup_checkin_days_muni_day", table_name="rollup_checkin_days")
    op.drop_index(op.f("ix_rollup_checkin_days_day"), table_name="rollup_checkin_days")
    op.drop_table("rollup_checkin_days")
    op.drop_index("ix_rollup_people_counts_scope", table_name="rollup_people_counts")
    op.drop_table("rollup_people_counts")
