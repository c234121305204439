"""The reports' stage funnel: how many people and pairs are at each stage.

Each person's and pair's stage as of a moment is read from the stage changes
(:mod:`app.encounters.stage_changes`: the latest change at or before it),
which are kept in step with their encounters; the coordinators' overrides in
force at each moment go on top. The people in scope who never met anyone are
counted, not listed, so the funnel grows with the people who have met someone,
not with everyone. ``tests/encounters/test_funnel.py`` checks on random
encounters that the result equals the pure module's ``all_stages``, and
``tests/reports/test_rollups.py`` that it equals the counting the funnel did
before the stage changes existed.

The people in scope are chosen by subqueries, never by long lists of ids sent
to the database. Six statements, whatever the number of people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.encounters import stages
from app.extensions import db
from app.models import Elder, HelperProfile, StageChange, StageOverride

HELPER_STATUSES_IN_FUNNEL = ("approved",)
ELDER_STATUSES_IN_FUNNEL = ("active", "paused")

SC = StageChange


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


def _stages_at(rows, keys: int, moments: list[datetime]) -> list[dict[Any, int]]:
    """Per moment, {key: stage} from stage change rows (key columns, at, stage), ordered by key and time."""
    out: list[dict[Any, int]] = [{} for _ in moments]
    for row in rows:
        key = row[0] if keys == 1 else tuple(row[:keys])
        at, stage = row[keys], row[keys + 1]
        for m, moment in enumerate(moments):
            if at <= moment:
                out[m][key] = stage  # later changes of the same key come later
    return out


def _person_stages(kind: str, scope: sa.Select, moments: list[datetime]) -> list[dict[int, int]]:
    """{person id: stage} per moment for the people of ``scope`` who have met someone by then."""
    own = SC.helper_id if kind == "helper" else SC.elder_id
    stmt = (
        sa.select(own, SC.at, SC.stage)
        .where(SC.subject_kind == kind, own.in_(scope), SC.at <= max(moments))
        .order_by(own, SC.at, SC.id)
    )
    return _stages_at(db.session.execute(stmt), 1, moments)


def _pair_stages(elders: sa.Select, moments: list[datetime]) -> list[dict[tuple[int, int], int]]:
    """{(helper id, elder id): stage} per moment for every pair with an older resident of ``elders``."""
    stmt = (
        sa.select(SC.helper_id, SC.elder_id, SC.at, SC.stage)
        .where(SC.subject_kind == "pair", SC.elder_id.in_(elders), SC.at <= max(moments))
        .order_by(SC.helper_id, SC.elder_id, SC.at, SC.id)
    )
    return _stages_at(db.session.execute(stmt), 2, moments)


def _movement(start: dict[Any, int], end: dict[Any, int], rest: int = 0) -> dict[str, Any]:
    """How the people of ``end`` moved since ``start``, plus ``rest`` more people at stage 0 throughout."""
    transitions = {a: dict.fromkeys(stages.STAGES, 0) for a in stages.STAGES}
    transitions[0][0] = rest
    up, down, same = 0, 0, rest
    for key, after in end.items():
        before = start.get(key, 0)
        transitions[before][after] += 1
        if after > before:
            up += 1
        elif after < before:
            down += 1
        else:
            same += 1
    start_summary = stages.area_summary(start.get(k, 0) for k in end)
    end_summary = stages.area_summary(end.values())
    start_summary[0] += rest
    end_summary[0] += rest
    return {
        "total": len(end) + rest,
        "start": start_summary,
        "end": end_summary,
        "reached_at_least": stages.reached_at_least(end_summary),
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
    totals = {
        "helper": db.session.scalar(sa.select(sa.func.count()).select_from(helpers.subquery())) or 0,
        "elder": db.session.scalar(sa.select(sa.func.count()).select_from(elders.subquery())) or 0,
    }
    computed = {
        "helper": _person_stages("helper", helpers, moments),
        "elder": _person_stages("elder", elders, moments),
        "pair": _pair_stages(elders, moments),
    }
    overrides = _overrides(helpers, elders, end_at)
    # Only the people who have met someone or have an override are listed; the
    # rest of the people in scope are at stage 0 at both ends and only counted.
    with_override = {key for key in overrides_at(overrides, end_at)}
    if start_at is not None:
        with_override |= set(overrides_at(overrides, start_at))
    everyone: dict[str, set[Any]] = {"pair": set(computed["pair"][0])}
    for kind in ("helper", "elder"):
        everyone[kind] = set(computed[kind][0]) | {key for k, key in with_override if k == kind}
    rest = {kind: totals[kind] - len(everyone[kind]) for kind in totals}

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
        "helpers": _movement(start["helper"], end["helper"], rest["helper"]),
        "elders": _movement(start["elder"], end["elder"], rest["elder"]),
        "people": _movement(people_start, people_end, rest["helper"] + rest["elder"]),
        "pairs": _movement(start["pair"], end["pair"]),
    }
