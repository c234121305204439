"""Reads for stages, reports and the scheduler.

Every function here runs a constant number of queries, whatever the number of
encounters or people: rows are turned into the pure modules' inputs
(`stages.EncounterFact`, scored check-ins) and the rules run in Python.

Used by the reports area and the scheduler:

    encounter_facts(session, *, helper_id=None, elder_id=None, municipality_id=None,
                    organization_ids=None, since=None, until=None) -> list[EncounterFact]
    pair_stage_for(helper_id, elder_id, now) -> StageResult
    person_stage_for(kind, person_id, now) -> StageResult
    stage_funnel(organization_ids, municipality_id, since, until, now) -> dict
    checkin_changes(organization_ids, municipality_id, since, until) -> dict
    due_checkins(now, organization_ids=None) -> list[DueCheckin]
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.encounters import stages

# Check-in reads live in their own module; re-exported here for reports and the scheduler.
from app.encounters.checkin_services import DueCheckin, checkin_changes, due_checkins
from app.encounters.funnel import overrides_at, stage_funnel
from app.encounters.stages import EncounterFact, StageResult
from app.extensions import db
from app.models import Encounter, EncounterParticipant, StageOverride

log = logging.getLogger(__name__)

# --- Encounters as stage facts ------------------------------------------------------


def _fact_rows(session: Session, conditions: list[sa.ColumnElement[bool]]) -> list[EncounterFact]:
    """One query: encounters matching ``conditions`` joined to all their participants."""
    ep = EncounterParticipant
    stmt = (
        sa.select(
            Encounter.id,
            Encounter.occurred_at,
            Encounter.kind,
            Encounter.place_kind,
            Encounter.initiated_by,
            Encounter.led_by,
            Encounter.organised_by_participant,
            ep.helper_id,
            ep.elder_id,
            ep.feedback_score,
        )
        .join(ep, ep.encounter_id == Encounter.id)
        .where(*conditions)
        .order_by(Encounter.occurred_at, Encounter.id, ep.id)
    )
    grouped: dict[int, dict[str, Any]] = {}
    for row in session.execute(stmt):
        entry = grouped.get(row.id)
        if entry is None:
            entry = grouped[row.id] = {"row": row, "helpers": set(), "elders": set(), "scores": []}
        if row.helper_id is not None:
            entry["helpers"].add(row.helper_id)
        if row.elder_id is not None:
            entry["elders"].add(row.elder_id)
        if row.feedback_score is not None and stages.FEEDBACK_MIN <= row.feedback_score <= stages.FEEDBACK_MAX:
            entry["scores"].append(row.feedback_score)
    facts: list[EncounterFact] = []
    for eid, entry in grouped.items():
        if not entry["helpers"] or not entry["elders"]:
            continue  # every encounter counted in a stage has young and old
        row = entry["row"]
        try:
            facts.append(
                EncounterFact(
                    encounter_id=eid,
                    occurred_at=row.occurred_at,
                    kind=row.kind,
                    place_kind=row.place_kind,
                    initiated_by=row.initiated_by,
                    led_by=row.led_by,
                    helper_ids=frozenset(entry["helpers"]),
                    elder_ids=frozenset(entry["elders"]),
                    organised_by_participant=bool(row.organised_by_participant),
                    feedback_scores=tuple(entry["scores"]),
                )
            )
        except (TypeError, ValueError):
            log.warning("encounter %s has values the stage rules do not know; left out", eid)
    return facts


def _took_part(column: sa.ColumnElement, value: Any) -> sa.ColumnElement[bool]:
    sub = sa.select(EncounterParticipant.encounter_id).where(column == value)
    return Encounter.id.in_(sub)


def encounter_facts(
    session: Session,
    *,
    helper_id: int | None = None,
    elder_id: int | None = None,
    municipality_id: int | None = None,
    organization_ids: Collection[int] | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> list[EncounterFact]:
    """Encounters as `EncounterFact`s (oldest first), in one query.

    ``helper_id`` / ``elder_id``: encounters the person took part in (both: the
    pair's). ``municipality_id``: encounters that took place there.
    ``organization_ids``: encounters of those organizations (None: all).
    ``since`` / ``until``: occurred_at within [since, until].
    Encounters without at least one helper and one elder are left out.
    """
    conditions: list[sa.ColumnElement[bool]] = []
    if helper_id is not None:
        conditions.append(_took_part(EncounterParticipant.helper_id, helper_id))
    if elder_id is not None:
        conditions.append(_took_part(EncounterParticipant.elder_id, elder_id))
    if municipality_id is not None:
        conditions.append(Encounter.municipality_id == municipality_id)
    if organization_ids is not None:
        conditions.append(Encounter.organization_id.in_(list(organization_ids) or [-1]))
    if since is not None:
        conditions.append(Encounter.occurred_at >= since)
    if until is not None:
        conditions.append(Encounter.occurred_at <= until)
    return _fact_rows(session, conditions)


# --- Overrides --------------------------------------------------------------------


def _override_filter(kind: str, helper_id: int | None, elder_id: int | None) -> list[sa.ColumnElement[bool]]:
    return [
        StageOverride.subject_kind == kind,
        StageOverride.helper_id.is_(None) if helper_id is None else StageOverride.helper_id == helper_id,
        StageOverride.elder_id.is_(None) if elder_id is None else StageOverride.elder_id == elder_id,
    ]


def current_override(kind: str, helper_id: int | None, elder_id: int | None) -> StageOverride | None:
    """The latest active override of a pair or person (None if there is none)."""
    return db.session.scalar(
        sa.select(StageOverride)
        .where(*_override_filter(kind, helper_id, elder_id), StageOverride.active.is_(True))
        .order_by(StageOverride.at.desc(), StageOverride.id.desc())
        .limit(1)
    )


def override_history(kind: str, helper_id: int | None, elder_id: int | None) -> list[StageOverride]:
    """Every override of a pair or person, newest first."""
    return list(
        db.session.scalars(
            sa.select(StageOverride)
            .where(*_override_filter(kind, helper_id, elder_id))
            .order_by(StageOverride.at.desc(), StageOverride.id.desc())
        )
    )


def _with_override(result: StageResult, override: StageOverride | None) -> StageResult:
    if override is None:
        return result
    return stages.apply_override(result, override.stage, override.reason)


# --- Stages of one pair or person ---------------------------------------------------------


def pair_stage_for(helper_id: int, elder_id: int, now: datetime) -> StageResult:
    """Stage of a pair at ``now``, with the coordinator's active override applied."""
    facts = encounter_facts(db.session, helper_id=helper_id, elder_id=elder_id, until=now)
    result = stages.pair_stage(facts, helper_id, elder_id, now=now)
    return _with_override(result, current_override("pair", helper_id, elder_id))


def person_stage_for(kind: str, person_id: int, now: datetime) -> StageResult:
    """Stage of a helper (``kind="helper"``) or an elder at ``now``, override applied."""
    if kind not in stages.PERSON_KINDS:
        raise ValueError(f"kind must be 'helper' or 'elder', got {kind!r}")
    if kind == "helper":
        facts = encounter_facts(db.session, helper_id=person_id, until=now)
        override = current_override("helper", person_id, None)
    else:
        facts = encounter_facts(db.session, elder_id=person_id, until=now)
        override = current_override("elder", None, person_id)
    result = stages.person_stage(facts, person_kind=kind, person_id=person_id, now=now)  # type: ignore[arg-type]
    return _with_override(result, override)


def pair_stages_of(kind: str, person_id: int, now: datetime) -> dict[tuple[int, int], StageResult]:
    """Every pair a person has been part of, with its stage (overrides applied).

    Keys are (helper_id, elder_id). Two queries.
    """
    if kind == "helper":
        facts = encounter_facts(db.session, helper_id=person_id, until=now)
        pairs = {(person_id, e) for f in facts for e in f.elder_ids}
        override_cond = StageOverride.helper_id == person_id
    else:
        facts = encounter_facts(db.session, elder_id=person_id, until=now)
        pairs = {(h, person_id) for f in facts for h in f.helper_ids}
        override_cond = StageOverride.elder_id == person_id
    results = stages.pair_stages(facts, sorted(pairs), now=now)
    overrides = db.session.scalars(
        sa.select(StageOverride)
        .where(StageOverride.subject_kind == "pair", override_cond, StageOverride.active.is_(True))
        .order_by(StageOverride.at, StageOverride.id)
    )
    in_force = overrides_at(overrides, now)
    return {pair: _with_override(result, in_force.get(("pair", pair))) for pair, result in results.items()}


__all__ = [
    "DueCheckin",
    "checkin_changes",
    "current_override",
    "due_checkins",
    "encounter_facts",
    "override_history",
    "pair_stage_for",
    "pair_stages_of",
    "person_stage_for",
    "stage_funnel",
]
