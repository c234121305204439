"""Task types: the Swedish names of the glossary (Handla, Utevistelse och promenad, ...)

The first Swedish names of four default task types did not match their Finnish
names (../shared/GLOSSARY.md, correction 65): "Inköp" is a purchase, "Promenad"
leaves out being outdoors, "Sällskap" the talk, and "Ärenden" is also an
official case. app.places.DEFAULT_TASK_TYPES now has the glossary's names; this
renames them where a database still has the old default name. A name that an
administrator has changed since is left as it is.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 22:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

#: code: (the old default Swedish name, the glossary's).
RENAMED = {
    "shopping": ("Inköp", "Handla"),
    "walk": ("Promenad", "Utevistelse och promenad"),
    "company": ("Sällskap", "Sällskap och samtal"),
    "errand": ("Ärenden", "Uträtta ärenden"),
}

_TASK_TYPES = sa.table("task_types", sa.column("code", sa.String), sa.column("name_sv", sa.String))


def _rename(direction: int) -> None:
    for code, names in RENAMED.items():
        old, new = names[::direction]
        op.execute(
            _TASK_TYPES.update()
            .where(_TASK_TYPES.c.code == code, _TASK_TYPES.c.name_sv == old)
            .values(name_sv=new)
        )


def upgrade() -> None:
    _rename(1)


def downgrade() -> None:
    _rename(-1)
