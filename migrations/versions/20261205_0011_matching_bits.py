"""Task types, availability and languages as bits for the matcher; covering indexes for its per-candidate facts

* ``task_types.bit``: each task type's bit in ``helper_profiles.task_mask``
  (numbered here in id order; app.models.masks gives new ones).
* ``helper_profiles.task_mask`` / ``availability_mask`` / ``language_mask``: the
  helper's JSON lists as integers (app.vocabulary has the bit layout), computed
  here from the JSON on both engines and kept in step by app.models.masks. The
  matcher reads them instead of decoding JSON per candidate.
* ``ix_assignments_helper_facts`` (helper_id, status, assigned_at, errand_id)
  replaces ``ix_assignments_helper_status`` (its prefix): a candidate's busy and
  recent-errand probes read the index alone.
* ``ix_guardian_consents_newest`` (helper_id, requested_at, id, status) replaces
  ``ix_guardian_consents_helper_id``: the newest consent from the index alone.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 19:00:00
"""

from alembic import op
import sqlalchemy as sa


revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# app.vocabulary.PARTS_OF_DAY and HELPER_LANGUAGES: a part's index and a language's bit.
_PART = "CASE {part} WHEN 'morning' THEN 0 WHEN 'afternoon' THEN 1 WHEN 'evening' THEN 2 END"
_LANGUAGE = "CASE {code} WHEN 'fi' THEN 1 WHEN 'sv' THEN 2 WHEN 'en' THEN 4 WHEN 'other' THEN 8 END"
_PARTS = "('morning', 'afternoon', 'evening')"
_LANGUAGES = "('fi', 'sv', 'en', 'other')"

# SQLite (JSON1): each list's items through json_each; an item that is not a known
# value (a [weekday 0-6, part] pair for availability) gets no bit, as in app.vocabulary.
_SQLITE_MASKS = f"""
UPDATE helper_profiles SET
  task_mask = coalesce((
    SELECT sum(DISTINCT 1 << t.bit) FROM json_each(helper_profiles.task_types) AS j
    JOIN task_types AS t ON t.code = j.value WHERE t.bit IS NOT NULL AND j.type = 'text'), 0),
  availability_mask = coalesce((
    SELECT sum(DISTINCT 1 << (json_extract(j.value, '$[0]') * 3 + {_PART.format(part="json_extract(j.value, '$[1]')")}))
    FROM json_each(helper_profiles.availability) AS j
    WHERE j.type = 'array' AND json_array_length(j.value) = 2
      AND json_type(j.value, '$[0]') = 'integer' AND json_extract(j.value, '$[0]') BETWEEN 0 AND 6
      AND json_type(j.value, '$[1]') = 'text' AND json_extract(j.value, '$[1]') IN {_PARTS}), 0),
  language_mask = coalesce((
    SELECT sum(DISTINCT {_LANGUAGE.format(code="j.value")}) FROM json_each(helper_profiles.languages) AS j
    WHERE j.type = 'text' AND j.value IN {_LANGUAGES}), 0)
"""

# PostgreSQL (json columns): the same through json_array_elements.
_ARRAY = "CASE WHEN json_typeof({col}) = 'array' THEN {col} ELSE '[]'::json END"
_PG_MASKS = f"""
UPDATE helper_profiles AS h SET
  task_mask = coalesce((
    SELECT bit_or(1::bigint << t.bit) FROM json_array_elements({_ARRAY.format(col="h.task_types")}) AS j
    JOIN task_types AS t ON t.code = j #>> '{{}}' WHERE t.bit IS NOT NULL AND json_typeof(j) = 'string'), 0),
  availability_mask = coalesce((
    SELECT bit_or(1 << ((j ->> 0)::int * 3 + {_PART.format(part="j ->> 1")}))
    FROM json_array_elements({_ARRAY.format(col="h.availability")}) AS j
    WHERE json_typeof(j) = 'array' AND json_array_length(j) = 2
      AND json_typeof(j -> 0) = 'number' AND (j ->> 0) IN ('0', '1', '2', '3', '4', '5', '6')
      AND json_typeof(j -> 1) = 'string' AND (j ->> 1) IN {_PARTS}), 0),
  language_mask = coalesce((
    SELECT bit_or({_LANGUAGE.format(code="j #>> '{}'")}) FROM json_array_elements({_ARRAY.format(col="h.languages")}) AS j
    WHERE json_typeof(j) = 'string' AND (j #>> '{{}}') IN {_LANGUAGES}), 0)
"""


def upgrade():
    postgresql = op.get_bind().dialect.name == "postgresql"
    op.add_column("task_types", sa.Column("bit", sa.SmallInteger(), nullable=True))
    op.execute(
        "UPDATE task_types SET bit = (SELECT count(*) FROM task_types AS t WHERE t.id < task_types.id) "
        "WHERE (SELECT count(*) FROM task_types AS t WHERE t.id < task_types.id) < 63"
    )
    op.create_index("ix_task_types_bit", "task_types", ["bit"], unique=True)
    for name, type_ in (("task_mask", sa.BigInteger()), ("availability_mask", sa.Integer()), ("language_mask", sa.Integer())):
        op.add_column("helper_profiles", sa.Column(name, type_, nullable=False, server_default="0"))
    op.execute(_PG_MASKS if postgresql else _SQLITE_MASKS)
    op.create_index(
        "ix_assignments_helper_facts", "assignments", ["helper_id", "status", "assigned_at", "errand_id"]
    )
    op.drop_index("ix_assignments_helper_status", table_name="assignments")
    op.create_index(
        "ix_guardian_consents_newest", "guardian_consents", ["helper_id", "requested_at", "id", "status"]
    )
    op.drop_index("ix_guardian_consents_helper_id", table_name="guardian_consents")


def downgrade():
    op.create_index("ix_guardian_consents_helper_id", "guardian_consents", ["helper_id"])
    op.drop_index("ix_guardian_consents_newest", table_name="guardian_consents")
    op.create_index("ix_assignments_helper_status", "assignments", ["helper_id", "status"])
    op.drop_index("ix_assignments_helper_facts", table_name="assignments")
    for name in ("language_mask", "availability_mask", "task_mask"):
        op.drop_column("helper_profiles", name)
    op.drop_index("ix_task_types_bit", table_name="task_types")
    op.drop_column("task_types", "bit")
