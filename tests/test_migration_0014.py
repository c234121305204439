"""Migration 0014 gives the default task types the glossary's Swedish names where a
database still has the old default, and leaves a name an administrator chose."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import sqlalchemy as sa
from alembic.migration import MigrationContext
from alembic.operations import Operations

from app.models import TaskType
from app.places import DEFAULT_TASK_TYPES, ensure_task_types

MIGRATION = Path(__file__).resolve().parents[1] / "migrations" / "versions" / "20261206_0014_task_type_swedish_names.py"


def _migration():
    spec = importlib.util.spec_from_file_location("migration_0014", MIGRATION)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(db, step: str) -> None:
    connection = db.session.connection()
    with Operations.context(MigrationContext.configure(connection)):
        getattr(_migration(), step)()


def _swedish(db) -> dict[str, str]:
    db.session.expire_all()
    return dict(db.session.execute(sa.select(TaskType.code, TaskType.name_sv)).all())


def test_old_default_names_are_renamed_and_a_chosen_name_is_kept(db):
    ensure_task_types()
    db.session.execute(sa.update(TaskType).where(TaskType.code == "shopping").values(name_sv="Inköp"))
    db.session.execute(sa.update(TaskType).where(TaskType.code == "company").values(name_sv="Sällskap"))
    db.session.execute(sa.update(TaskType).where(TaskType.code == "walk").values(name_sv="Promenader i parken"))

    _run(db, "upgrade")
    names = _swedish(db)
    assert names["shopping"] == "Handla"
    assert names["company"] == "Sällskap och samtal"
    assert names["walk"] == "Promenader i parken"  # an administrator's own name stays
    assert names["post"] == "Post"

    _run(db, "downgrade")
    names = _swedish(db)
    assert (names["shopping"], names["company"], names["walk"]) == ("Inköp", "Sällskap", "Promenader i parken")
    db.session.rollback()


def test_new_databases_get_the_glossary_names_and_the_migration_agrees():
    renamed = _migration().RENAMED
    defaults = {code: sv for code, _fi, sv, _en, _order in DEFAULT_TASK_TYPES}
    assert {code: names[1] for code, names in renamed.items()} == {code: defaults[code] for code in renamed}
    assert defaults["shopping"] == "Handla" and defaults["errand"] == "Uträtta ärenden"
