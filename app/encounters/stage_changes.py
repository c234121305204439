"""Stage changes: when each person's and pair's stage (from their encounters) changed.

The reports' funnel reads a person's stage as of a moment from here (the
latest change at or before it) instead of counting everyone's encounters.
:func:`app.encounters.stages.stage_changes` (the pure rules) works the
changes out; this module stores them. :func:`refresh` redoes the people of a
changed encounter before the transaction commits (registered with
:func:`app.rollups.on_people_met` when the app starts); with no people given it
rebuilds every one (``flask rebuild-rollups``, the benchmark data generator).

Each row carries its person's (a pair's: its older person's) organization,
municipality and whether their status is counted in the funnel, so the funnel
reads its scope by an index range; :func:`rescope` copies them again when a
person moves, changes organization or status (registered with
:func:`app.rollups.on_people_changed`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

import sqlalchemy as sa

from app.encounters import stages
from app.encounters.funnel import ELDER_STATUSES_IN_FUNNEL, HELPER_STATUSES_IN_FUNNEL
from app.encounters.services import encounter_facts
from app.encounters.stages import EncounterFact
from app.extensions import db
from app.models import Elder, HelperProfile, StageChange

BATCH = 5_000


def _rows(kind: str, helper_id: int | None, elder_id: int | None, facts: Iterable[EncounterFact]) -> list[dict]:
    changes = stages.stage_changes(facts)
    ends: list = [at for at, _stage in changes[1:]] + [None] if changes else []
    return [
        {"subject_kind": kind, "helper_id": helper_id, "elder_id": elder_id, "at": at, "ends_at": end, "stage": stage}
        for (at, stage), end in zip(changes, ends, strict=True)
    ]


def _insert(rows: list[dict]) -> None:
    for i in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(StageChange), rows[i : i + BATCH])


def refresh(helper_ids: set[int] | None, elder_ids: set[int] | None, pairs: set[tuple[int, int]] | None) -> None:
    """Redo the stage changes of these helpers, older people and (helper, elder) pairs
    (all None: of everyone). One query of encounters per person or pair."""
    if helper_ids is None and elder_ids is None and pairs is None:
        _rebuild_all()
        return
    rows: list[dict] = []
    for helper_id in sorted(helper_ids or ()):
        db.session.execute(
            sa.delete(StageChange).where(StageChange.subject_kind == "helper", StageChange.helper_id == helper_id)
        )
        rows += _rows("helper", helper_id, None, encounter_facts(db.session, helper_id=helper_id))
    for elder_id in sorted(elder_ids or ()):
        db.session.execute(
            sa.delete(StageChange).where(StageChange.subject_kind == "elder", StageChange.elder_id == elder_id)
        )
        rows += _rows("elder", None, elder_id, encounter_facts(db.session, elder_id=elder_id))
    for helper_id, elder_id in sorted(pairs or ()):
        db.session.execute(
            sa.delete(StageChange).where(
                StageChange.subject_kind == "pair", StageChange.helper_id == helper_id, StageChange.elder_id == elder_id
            )
        )
        facts = encounter_facts(db.session, helper_id=helper_id, elder_id=elder_id)
        rows += _rows("pair", helper_id, elder_id, facts)
    _insert(rows)
    rescope(set(helper_ids or ()), set(elder_ids or ()) | {e for _h, e in pairs or ()})


def rescope(helper_ids: set[int] | None, elder_ids: set[int] | None) -> None:
    """Copy the scope of these helpers and older people (None: everyone's) onto their
    stage changes (an older person's: their own and their pairs'). One statement each."""
    for ids, kinds, model, column, statuses in (
        (helper_ids, ("helper",), HelperProfile, StageChange.helper_id, HELPER_STATUSES_IN_FUNNEL),
        (elder_ids, ("elder", "pair"), Elder, StageChange.elder_id, ELDER_STATUSES_IN_FUNNEL),
    ):
        if ids is not None and not ids:
            continue

        def of_person(expression, model=model, column=column):
            return sa.select(expression).where(model.id == column).scalar_subquery()

        stmt = (
            sa.update(StageChange)
            .where(StageChange.subject_kind.in_(kinds))
            .values(
                organization_id=of_person(model.organization_id),
                municipality_id=of_person(model.municipality_id),
                in_funnel=sa.func.coalesce(of_person(model.status.in_(statuses)), sa.false()),
            )
            .execution_options(synchronize_session=False)
        )
        if ids is not None:
            stmt = stmt.where(column.in_(sorted(ids)))
        db.session.execute(stmt)


def _rebuild_all() -> None:
    """Every person's and pair's changes from every encounter (one query of encounters)."""
    db.session.execute(sa.delete(StageChange))
    by_helper: dict[int, list[EncounterFact]] = defaultdict(list)
    by_elder: dict[int, list[EncounterFact]] = defaultdict(list)
    by_pair: dict[tuple[int, int], list[EncounterFact]] = defaultdict(list)
    for fact in encounter_facts(db.session):
        for h in fact.helper_ids:
            by_helper[h].append(fact)
            for e in fact.elder_ids:
                by_pair[(h, e)].append(fact)
        for e in fact.elder_ids:
            by_elder[e].append(fact)
    rows: list[dict] = []
    for h, facts in by_helper.items():
        rows += _rows("helper", h, None, facts)
    for e, facts in by_elder.items():
        rows += _rows("elder", None, e, facts)
    for (h, e), facts in by_pair.items():
        rows += _rows("pair", h, e, facts)
    _insert(rows)
    rescope(None, None)
