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

Each stage change row carries its person's scope (organization, municipality,
a status counted here), so the rows of the people in scope are an index range;
the people in scope who never met anyone are counted from their own table.
Six statements, whatever the number of people.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app.encounters import stages
from app.extensions import db
from app.models import Elder, HelperProfile, RollupPeopleCount, StageChange, StageOverride

HELPER_STATUSES_IN_FUNNEL = ("approved",)
ELDER_STATUSES_IN_FUNNEL = ("active", "paused")

SC = StageChange
KINDS = ("helper", "elder", "pair")


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


Moves = dict[tuple[int, int], int]
"""(stage at the start, stage at the end) -> how many people or pairs."""


def _holds(row: Any, at: datetime) -> sa.ColumnElement[bool]:
    """The stage change row in force at ``at``."""
    return sa.and_(row.at <= at, sa.or_(row.ends_at.is_(None), row.ends_at > at))


def _subject(row: Any, kind: str) -> list[sa.ColumnElement]:
    if kind == "helper":
        return [row.helper_id]
    if kind == "elder":
        return [row.elder_id]
    return [row.helper_id, row.elder_id]


def _people(
    statuses: tuple[str, ...], kind: str, organization_ids: Collection[int] | None, municipality_id: int | None
) -> int:
    """How many people of ``kind`` are in scope now: the people counts summed."""
    P = RollupPeopleCount  # noqa: N806 - a table alias
    where = [P.person_kind == kind, P.status.in_(statuses)]
    if municipality_id is not None:
        where.append(P.municipality_id == municipality_id)
    if organization_ids is not None:
        where.append(P.organization_id.in_(list(organization_ids) or [-1]))
    return int(db.session.scalar(sa.select(sa.func.sum(P.people)).where(*where)) or 0)


def _in_scope(kind: str, organization_ids: Collection[int] | None, municipality_id: int | None) -> list:
    """Stage change rows of ``kind`` whose person (a pair: its older person) is in scope,
    by the scope copied onto each row (an index range, not a list of the people)."""
    where = [SC.subject_kind == kind, SC.in_funnel.is_(True)]
    if municipality_id is not None:
        where.append(SC.municipality_id == municipality_id)
    if organization_ids is not None:
        where.append(SC.organization_id.in_(list(organization_ids) or [-1]))
    return where


def _moves(
    kind: str,
    organization_ids: Collection[int] | None,
    municipality_id: int | None,
    start_at: datetime | None,
    end_at: datetime,
) -> Moves:
    """Subjects in stage at ``end_at`` (people in scope, or pairs with an older person in
    it), counted by their stages at the start and the end: one grouped statement that reads
    each subject's changes up to the end once."""
    subject = _subject(SC, kind)
    at_end = sa.func.max(sa.case((_holds(SC, end_at), SC.stage))).label("at_end")
    at_start = (sa.literal(0) if start_at is None else sa.func.max(sa.case((_holds(SC, start_at), SC.stage)))).label(
        "at_start"
    )
    per_subject = (
        sa.select(at_start, at_end)
        .where(*_in_scope(kind, organization_ids, municipality_id), SC.at <= end_at)
        .group_by(*subject)
        .subquery("per_subject")
    )
    before = sa.func.coalesce(per_subject.c.at_start, 0)
    stmt = (
        sa.select(before, per_subject.c.at_end, sa.func.count())
        .where(per_subject.c.at_end.is_not(None))
        .group_by(before, per_subject.c.at_end)
    )
    return {(int(a), int(b)): int(n) for a, b, n in db.session.execute(stmt)}


def _computed(kind: str, keys: set[Any], moments: list[datetime]) -> list[dict[Any, int]]:
    """{key: stage} per moment for a few subjects (those with an override): one statement."""
    out: list[dict[Any, int]] = [{} for _ in moments]
    if not keys:
        return out
    columns = _subject(SC, kind)
    if kind == "pair":
        wanted = sa.or_(*(sa.and_(SC.helper_id == h, SC.elder_id == e) for h, e in keys))
    else:
        wanted = columns[0].in_(sorted(keys))
    rows = db.session.execute(
        sa.select(*columns, SC.at, SC.ends_at, SC.stage).where(SC.subject_kind == kind, wanted, SC.at <= max(moments))
    )
    width = len(columns)
    for row in rows:
        key = row[0] if width == 1 else tuple(row[:width])
        at, ends_at, stage = row[width], row[width + 1], row[width + 2]
        for m, moment in enumerate(moments):
            if at <= moment and (ends_at is None or ends_at > moment):
                out[m][key] = stage
    return out


def _summary(moves: Moves) -> dict[str, Any]:
    """The funnel's figures for a group from its moves."""
    transitions = {a: dict.fromkeys(stages.STAGES, 0) for a in stages.STAGES}
    for (before, after), n in moves.items():
        transitions[before][after] += n
    start = {a: sum(transitions[a].values()) for a in stages.STAGES}
    end = {b: sum(transitions[a][b] for a in stages.STAGES) for b in stages.STAGES}
    return {
        "total": sum(moves.values()),
        "start": start,
        "end": end,
        "reached_at_least": stages.reached_at_least(end),
        "moved_up": sum(n for (a, b), n in moves.items() if b > a),
        "moved_down": sum(n for (a, b), n in moves.items() if b < a),
        "unchanged": sum(n for (a, b), n in moves.items() if a == b),
        "transitions": transitions,
    }


def _movement(start: dict[Any, int], end: dict[Any, int]) -> dict[str, Any]:
    """How the subjects of ``end`` moved since ``start`` (0 when not in it)."""
    moves: Moves = {}
    for key, after in end.items():
        pair = (start.get(key, 0), after)
        moves[pair] = moves.get(pair, 0) + 1
    return _summary(moves)


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
    """The overrides of people in scope (few): each one's person is looked up, not the scope read."""
    helper_in_scope = helpers.where(HelperProfile.id == StageOverride.helper_id).exists()
    elder_in_scope = elders.where(Elder.id == StageOverride.elder_id).exists()
    return list(
        db.session.scalars(
            sa.select(StageOverride)
            .where(StageOverride.at <= end_at, sa.or_(helper_in_scope, elder_in_scope))
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
    helpers = helper_scope(organization_ids, municipality_id)
    elders = elder_scope(organization_ids, municipality_id)
    totals = {
        "helper": _people(HELPER_STATUSES_IN_FUNNEL, "helper", organization_ids, municipality_id),
        "elder": _people(ELDER_STATUSES_IN_FUNNEL, "elder", organization_ids, municipality_id),
    }
    moves = {
        kind: _moves(kind, organization_ids, municipality_id, start_at, end_at) for kind in ("helper", "elder", "pair")
    }
    # The people in scope without a stage by the end are at 0 at both ends.
    for kind in ("helper", "elder"):
        moves[kind][(0, 0)] = moves[kind].get((0, 0), 0) + totals[kind] - sum(moves[kind].values())
    # The coordinators' overrides in force at either end move their subjects (a few).
    overrides = _overrides(helpers, elders, end_at)
    ends = [end_at] if start_at is None else [end_at, start_at]
    in_force = [overrides_at(overrides, at) for at in ends]
    for kind in moves:
        keys = {key for forced in in_force for k, key in forced if k == kind}
        computed = _computed(kind, keys, ends)
        for key in keys:
            if kind == "pair" and key not in computed[0]:
                continue  # a pair is counted once its two have met
            found = [computed[m].get(key, 0) if m < len(ends) else 0 for m in (1, 0)]
            if start_at is None:
                found[0] = 0
            final = list(found)
            for m, slot in ((0, 1), (1, 0)):
                if m < len(ends) and (forced := in_force[m].get((kind, key))) is not None:
                    final[slot] = forced.stage
            moves[kind][(found[0], found[1])] -= 1
            moves[kind][(final[0], final[1])] = moves[kind].get((final[0], final[1]), 0) + 1
    people: Moves = {}
    for kind in ("helper", "elder"):
        for pair, n in moves[kind].items():
            people[pair] = people.get(pair, 0) + n
    return {
        "since": start_at,
        "until": end_at,
        "helpers": _summary(moves["helper"]),
        "elders": _summary(moves["elder"]),
        "people": _summary(people),
        "pairs": _summary(moves["pair"]),
    }
