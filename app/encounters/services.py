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
from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.encounters import stages

# Check-in reads live in their own module; re-exported here for reports and the scheduler.
from app.encounters.checkin_services import DueCheckin, checkin_changes, due_checkins
from app.encounters.stages import EncounterFact, StageResult
from app.extensions import db
from app.models import Elder, Encounter, EncounterParticipant, HelperProfile, StageOverride

log = logging.getLogger(__name__)

HELPER_STATUSES_IN_FUNNEL = ("approved",)
ELDER_STATUSES_IN_FUNNEL = ("active", "paused")


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


def _in_force(override: StageOverride, at: datetime) -> bool:
    return override.at <= at and (override.cleared_at is None or override.cleared_at > at)


def _override_key(override: StageOverride) -> tuple[str, int | tuple[int, int]]:
    if override.subject_kind == "pair":
        return "pair", (override.helper_id, override.elder_id)  # type: ignore[return-value]
    if override.subject_kind == "helper":
        return "helper", override.helper_id  # type: ignore[return-value]
    return "elder", override.elder_id  # type: ignore[return-value]


def _overrides_at(overrides: Iterable[StageOverride], at: datetime) -> dict[tuple[str, Any], StageOverride]:
    """The override in force at ``at`` for each subject (latest wins)."""
    latest: dict[tuple[str, Any], StageOverride] = {}
    for override in overrides:  # oldest first, so later ones replace earlier ones
        if _in_force(override, at):
            latest[_override_key(override)] = override
    return latest


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
    in_force = _overrides_at(overrides, now)
    return {pair: _with_override(result, in_force.get(("pair", pair))) for pair, result in results.items()}


# --- Funnel for reports ---------------------------------------------------------------


def _helper_scope(organization_ids: Collection[int] | None, municipality_id: int | None) -> sa.Select:
    stmt = sa.select(HelperProfile.id).where(HelperProfile.status.in_(HELPER_STATUSES_IN_FUNNEL))
    if organization_ids is not None:
        stmt = stmt.where(HelperProfile.organization_id.in_(list(organization_ids) or [-1]))
    if municipality_id is not None:
        stmt = stmt.where(HelperProfile.municipality_id == municipality_id)
    return stmt


def _elder_scope(organization_ids: Collection[int] | None, municipality_id: int | None) -> sa.Select:
    stmt = sa.select(Elder.id).where(Elder.status.in_(ELDER_STATUSES_IN_FUNNEL))
    if organization_ids is not None:
        stmt = stmt.where(Elder.organization_id.in_(list(organization_ids) or [-1]))
    if municipality_id is not None:
        stmt = stmt.where(Elder.municipality_id == municipality_id)
    return stmt


def _movement(start: dict[Any, int], end: dict[Any, int]) -> dict[str, Any]:
    transitions = {a: dict.fromkeys(stages.STAGES, 0) for a in stages.STAGES}
    up = down = same = 0
    for key, after in end.items():
        before = start.get(key, 0)
        transitions[before][after] += 1
        if after > before:
            up += 1
        elif after < before:
            down += 1
        else:
            same += 1
    return {
        "total": len(end),
        "start": stages.area_summary(start.get(k, 0) for k in end),
        "end": stages.area_summary(end.values()),
        "reached_at_least": stages.reached_at_least(stages.area_summary(end.values())),
        "moved_up": up,
        "moved_down": down,
        "unchanged": same,
        "transitions": transitions,
    }


def stage_funnel(
    organization_ids: Collection[int] | None,
    municipality_id: int | None,
    since: datetime | None,
    until: datetime | None,
    now: datetime,
) -> dict[str, Any]:
    """People per stage at the end of a period, and how they moved since its start.

    People: approved helpers and active or paused older residents of the
    organizations (None: all) living in the municipality (None: all). Pairs:
    every helper and older resident in scope who have met at least once by the
    end. Stages count all of a person's encounters (wherever they took place),
    with the coordinators' overrides that were in force at each moment.
    The start is ``since`` (None: before anything happened, everyone at 0);
    the end is ``until`` or ``now``, whichever is earlier.

    Returns {"since", "until", "helpers", "elders", "people", "pairs"}; each
    group is {"total", "start": {0..3: n}, "end": {0..3: n},
    "reached_at_least": {0..3: n}, "moved_up", "moved_down", "unchanged",
    "transitions": {from_stage: {to_stage: n}}}. Four queries.
    """
    end_at = now if until is None or until > now else until
    helper_ids = list(db.session.scalars(_helper_scope(organization_ids, municipality_id)))
    elder_ids = list(db.session.scalars(_elder_scope(organization_ids, municipality_id)))
    people = sa.select(EncounterParticipant.encounter_id).where(
        sa.or_(
            EncounterParticipant.helper_id.in_(helper_ids or [-1]),
            EncounterParticipant.elder_id.in_(elder_ids or [-1]),
        )
    )
    facts = _fact_rows(db.session, [Encounter.id.in_(people), Encounter.occurred_at <= end_at])
    elder_set = set(elder_ids)
    pairs = sorted({(h, e) for f in facts for e in f.elder_ids if e in elder_set for h in f.helper_ids})
    overrides = list(
        db.session.scalars(
            sa.select(StageOverride)
            .where(
                StageOverride.at <= end_at,
                sa.or_(
                    StageOverride.helper_id.in_(helper_ids or [-1]),
                    StageOverride.elder_id.in_(elder_ids or [-1]),
                ),
            )
            .order_by(StageOverride.at, StageOverride.id)
        )
    )

    def snapshot(at: datetime | None) -> dict[str, dict[Any, int]]:
        if at is None:
            return {"helper": {}, "elder": {}, "pair": {}}
        overview = stages.all_stages(facts, now=at, pairs=pairs, helper_ids=helper_ids, elder_ids=elder_ids)
        in_force = _overrides_at(overrides, at)

        def stage_of(kind: str, key: Any, result: StageResult) -> int:
            override = in_force.get((kind, key))
            return override.stage if override is not None else result.stage

        return {
            "helper": {h: stage_of("helper", h, overview.helpers[h]) for h in helper_ids},
            "elder": {e: stage_of("elder", e, overview.elders[e]) for e in elder_ids},
            "pair": {p: stage_of("pair", p, overview.pairs[p]) for p in pairs},
        }

    start_at = None if since is None else min(since, end_at)
    start, end = snapshot(start_at), snapshot(end_at)
    people_start = {("h", k): v for k, v in start["helper"].items()} | {("e", k): v for k, v in start["elder"].items()}
    people_end = {("h", k): v for k, v in end["helper"].items()} | {("e", k): v for k, v in end["elder"].items()}
    return {
        "since": start_at,
        "until": end_at,
        "helpers": _movement(start["helper"], end["helper"]),
        "elders": _movement(start["elder"], end["elder"]),
        "people": _movement(people_start, people_end),
        "pairs": _movement(start["pair"], end["pair"]),
    }


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
