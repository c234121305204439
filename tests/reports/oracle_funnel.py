"""THE ORACLE (tests only): the funnel as it was before the stage changes (4b3dd4d), counting
every encounter in SQL. Copied unchanged.

The reports' stage funnel: how many people and pairs are at each stage, counted in SQL.

A stage depends only on four counts (all encounters so far; in the lookback
window the together, self-initiated and ownership ones), so the funnel does
not load encounters into Python: one grouped statement per helpers, older
residents and pairs counts them for both ends of the period at once, and
:func:`app.encounters.stages.stage_from_counts` turns the counts into stages.
The flags are built from the pure module's own sets (``TOGETHER_KINDS``...),
and ``tests/encounters/test_funnel.py`` checks on random encounters that the
result equals the pure module's ``all_stages``.

The people in scope are chosen by subqueries, never by long lists of ids sent
to the database. Six statements, whatever the number of people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.encounters import stages
from app.extensions import db
from app.models import Elder, Encounter, EncounterParticipant, HelperProfile, StageOverride

HELPER_STATUSES_IN_FUNNEL = ("approved",)
ELDER_STATUSES_IN_FUNNEL = ("active", "paused")

E = Encounter
EP = EncounterParticipant


def _scope(model: type[HelperProfile] | type[Elder], statuses: tuple[str, ...], organization_ids, municipality_id):
    stmt = sa.select(model.id).where(model.status.in_(statuses))
    if organization_ids is not None:
        stmt = stmt.where(model.organization_id.in_(list(organization_ids) or [-1]))
    if municipality_id is not None:
        stmt = stmt.where(model.municipality_id == municipality_id)
    return stmt


def helper_scope(organization_ids: Collection[int] | None, municipality_id: int | None) -> sa.Select:
    return _scope(HelperProfile, HELPER_STATUSES_IN_FUNNEL, organization_ids, municipality_id)


def elder_scope(organization_ids: Collection[int] | None, municipality_id: int | None) -> sa.Select:
    return _scope(Elder, ELDER_STATUSES_IN_FUNNEL, organization_ids, municipality_id)


def _counts(moments: list[datetime]) -> list[sa.ColumnElement]:
    """Four sums per moment: encounters so far, and together / self-initiated /
    ownership encounters in the lookback window before it (as ``stages._flags``)."""
    together = sa.or_(E.place_kind.in_(stages.TOGETHER_PLACES), E.kind.in_(stages.TOGETHER_KINDS))
    self_initiated = E.initiated_by.in_(stages.SELF_INITIATORS)
    ownership = sa.or_(E.led_by.in_(stages.BOTH_WAYS_LEADERS), E.organised_by_participant.is_(True))
    columns: list[sa.ColumnElement] = []
    for at in moments:
        past = E.occurred_at <= at
        window = sa.and_(past, E.occurred_at >= at - timedelta(days=stages.LOOKBACK_DAYS))
        for condition in (past, sa.and_(window, together), sa.and_(window, self_initiated), sa.and_(window, ownership)):
            columns.append(sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0))
    return columns


def _stages_by_key(rows, keys: int, moments: int) -> list[dict[Any, int]]:
    """Per moment, {key: stage} from grouped rows (key columns first, then 4 counts per moment)."""
    out: list[dict[Any, int]] = [{} for _ in range(moments)]
    for row in rows:
        key = row[0] if keys == 1 else tuple(row[:keys])
        for m in range(moments):
            counts = row[keys + 4 * m : keys + 4 * m + 4]
            out[m][key] = stages.stage_from_counts(*(int(c) for c in counts))
    return out


def _person_stages(kind: str, scope: sa.Select, moments: list[datetime]) -> list[dict[int, int]]:
    """{person id: stage} per moment for the people of ``scope`` who have met someone."""
    own = EP.helper_id if kind == "helper" else EP.elder_id
    other = aliased(EP)
    other_side = other.elder_id if kind == "helper" else other.helper_id
    # A person takes part in an encounter once (unique constraints); only
    # encounters with young and old count.
    stmt = (
        sa.select(own, *_counts(moments))
        .join(E, E.id == EP.encounter_id)
        .where(
            own.in_(scope),
            E.occurred_at <= max(moments),
            sa.exists().where(other.encounter_id == E.id, other_side.is_not(None)),
        )
        .group_by(own)
    )
    return _stages_by_key(db.session.execute(stmt), 1, len(moments))


def _pair_stages(elders: sa.Select, moments: list[datetime]) -> list[dict[tuple[int, int], int]]:
    """{(helper id, elder id): stage} per moment for every pair with an older resident of ``elders``."""
    helper_side, elder_side = aliased(EP), aliased(EP)
    # (helper, elder, encounter) is unique: each side takes part once.
    stmt = (
        sa.select(helper_side.helper_id, elder_side.elder_id, *_counts(moments))
        .select_from(elder_side)
        .join(helper_side, helper_side.encounter_id == elder_side.encounter_id)
        .join(E, E.id == elder_side.encounter_id)
        .where(elder_side.elder_id.in_(elders), helper_side.helper_id.is_not(None), E.occurred_at <= max(moments))
        .group_by(helper_side.helper_id, elder_side.elder_id)
    )
    return _stages_by_key(db.session.execute(stmt), 2, len(moments))


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


def _in_force(override: StageOverride, at: datetime) -> bool:
    return override.at <= at and (override.cleared_at is None or override.cleared_at > at)


def _override_key(override: StageOverride) -> tuple[str, int | tuple[int, int]]:
    if override.subject_kind == "pair":
        return "pair", (override.helper_id, override.elder_id)  # type: ignore[return-value]
    if override.subject_kind == "helper":
        return "helper", override.helper_id  # type: ignore[return-value]
    return "elder", override.elder_id  # type: ignore[return-value]


def overrides_at(overrides: Iterable[StageOverride], at: datetime) -> dict[tuple[str, Any], StageOverride]:
    """The override in force at ``at`` for each subject (latest wins)."""
    latest: dict[tuple[str, Any], StageOverride] = {}
    for override in overrides:  # oldest first, so later ones replace earlier ones
        if _in_force(override, at):
            latest[_override_key(override)] = override
    return latest


def _overrides(helpers: sa.Select, elders: sa.Select, end_at: datetime) -> list[StageOverride]:
    return list(
        db.session.scalars(
            sa.select(StageOverride)
            .where(
                StageOverride.at <= end_at,
                sa.or_(StageOverride.helper_id.in_(helpers), StageOverride.elder_id.in_(elders)),
            )
            .order_by(StageOverride.at, StageOverride.id)
        )
    )


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
    "transitions": {from_stage: {to_stage: n}}}.
    """
    end_at = now if until is None or until > now else until
    start_at = None if since is None else min(since, end_at)
    moments = [end_at] if start_at is None else [end_at, start_at]
    helpers = helper_scope(organization_ids, municipality_id)
    elders = elder_scope(organization_ids, municipality_id)
    helper_ids = list(db.session.scalars(helpers))
    elder_ids = list(db.session.scalars(elders))
    computed = {
        "helper": _person_stages("helper", helpers, moments),
        "elder": _person_stages("elder", elders, moments),
        "pair": _pair_stages(elders, moments),
    }
    everyone = {"helper": helper_ids, "elder": elder_ids, "pair": list(computed["pair"][0])}
    overrides = _overrides(helpers, elders, end_at)

    def snapshot(m: int, at: datetime) -> dict[str, dict[Any, int]]:
        in_force = overrides_at(overrides, at)
        out: dict[str, dict[Any, int]] = {}
        for kind, keys in everyone.items():
            found = computed[kind][m]
            out[kind] = {}
            for key in keys:
                override = in_force.get((kind, key))
                out[kind][key] = override.stage if override is not None else found.get(key, 0)
        return out

    end = snapshot(0, end_at)
    start = snapshot(1, start_at) if start_at is not None else {"helper": {}, "elder": {}, "pair": {}}
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
