"""Aggregate reads for the report page and its CSV export.

Every figure is a sum over the report rollups (:mod:`app.rollups`: one row
per day, area and group, kept in step with the errands, requests and
encounters), so a report costs what its days and areas cost, not what its
people do. The current day is read from the base tables through the same
statements that build the rollups (its figures depend on the clock: who is
still waiting, which encounters have taken place). The page runs the same
number of queries whatever the amount of data; Python only joins the small
grouped results to the reference data (task types, municipalities, villages).

How the figures are counted (the page shows the same definitions):

- **Period**: from the first day 00:00 to the end of the last day, Helsinki
  time. Requests count by when they were taken; errands by when they are due;
  encounters by when they took place (planned ones that have not happened yet
  do not count).
- **Area**: an errand or request belongs to the municipality and village
  where the older person lives; an encounter to where it took place; a helper
  to where the helper lives.
- **Errands considered** for matching: the errands due in the period, except
  those the older person or a relative cancelled and those still waiting for
  a helper (due later, no helper yet).
- **Matched**: an errand that got a helper (an assignment the helper did not
  withdraw from). **Share matched** = matched / considered.
- **Time to match**: from when the errand was created to the first time a
  helper took it, over the matched errands; median and mean in hours (the
  median is picked from the waits rounded to the nearest minute).
- **Unmet demand**: considered errands that did not get a helper (expired,
  passed without a helper, or cancelled by a coordinator without one).
- **Older people reached**: different older people who took part in an
  encounter or had an errand done in the period.
- **Helper hours**: for every errand done in the period, the minutes each
  helper reported (the errand's planned length if the helper gave none), plus
  for every other encounter (one not made from an errand) its length once
  for each young participant.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlalchemy as sa

from app import rollups
from app.activities.reports import ActivityFigures, activity_figures
from app.db_setup import read_only
from app.encounters.services import checkin_changes, stage_funnel
from app.extensions import db
from app.i18n import local_midnight
from app.models import (
    Elder,
    Encounter,
    Errand,
    HelpRequest,
    Municipality,
    RollupEncounterDay,
    RollupErrandDay,
    RollupMatchMinutes,
    RollupPeopleCount,
    RollupPersonDay,
    RollupRequestDay,
    TaskType,
    Village,
)
from app.models.encounter import ENCOUNTER_KINDS
from app.reports.scope import ReportScope, municipality_name
from app.rollups import local_day

DONE_MINUTES = sa.func.coalesce(sa.func.sum(rollups.ASSIGNMENT_MINUTES), 0)
"""Minutes of done assignments: what the helper reported, else the errand's planned length."""
MAP_HELPER_STATUSES = ("approved",)


# --- Results -----------------------------------------------------------------------


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class ErrandCounts:
    """Errands due in the period, split by what happened to them."""

    due: int = 0
    cancelled_by_elder: int = 0
    waiting: int = 0
    considered: int = 0
    matched: int = 0
    unmet: int = 0
    done: int = 0

    @property
    def share_matched(self) -> float | None:
        return _share(self.matched, self.considered)

    def __add__(self, other: ErrandCounts) -> ErrandCounts:
        return ErrandCounts(
            *(getattr(self, f) + getattr(other, f) for f in ErrandCounts.__dataclass_fields__)  # type: ignore[arg-type]
        )


@dataclass(frozen=True)
class TimeToMatch:
    n: int
    median_hours: float | None
    mean_hours: float | None


@dataclass(frozen=True)
class TaskDemand:
    """What people asked for (requests) and what they did not get (unmet errands)."""

    code: str
    name: str
    requests: int
    errands: ErrandCounts


@dataclass(frozen=True)
class AreaDemand:
    municipality_id: int | None
    municipality: str
    village_id: int | None
    village: str | None
    errands: ErrandCounts


@dataclass(frozen=True)
class KindCount:
    kind: str
    encounters: int
    minutes: int


@dataclass(frozen=True)
class People:
    elders_reached: int
    helpers_active: int
    errand_minutes: int
    encounter_minutes: int

    @property
    def helper_hours(self) -> float:
        return (self.errand_minutes + self.encounter_minutes) / 60


@dataclass(frozen=True)
class MapPoint:
    """Requests and helpers of one village (or a municipality centre): never a home."""

    municipality: str
    village: str | None
    lat: float
    lon: float
    requests: int
    helpers: int


@dataclass(frozen=True)
class MunicipalityRow:
    municipality_id: int | None
    name: str
    requests: int
    errands: ErrandCounts
    encounters: int


@dataclass
class Report:
    scope: ReportScope
    requests: int
    errands: ErrandCounts
    time_to_match: TimeToMatch
    tasks: list[TaskDemand]
    areas: list[AreaDemand]
    encounters_by_kind: list[KindCount]
    people: People
    map_points: list[MapPoint]
    unplaced_requests: int
    unplaced_helpers: int
    municipalities: list[MunicipalityRow]
    funnel: dict[str, Any] | None = None
    checkins: dict[str, Any] | None = None
    activities: ActivityFigures | None = None

    @property
    def encounters(self) -> int:
        return sum(k.encounters for k in self.encounters_by_kind)

    @property
    def encounter_minutes(self) -> int:
        return sum(k.minutes for k in self.encounters_by_kind)

    @property
    def asked_tasks(self) -> list[TaskDemand]:
        """Task types someone asked for or had an errand of in the period."""
        return [t for t in self.tasks if t.requests or t.errands.due]

    @property
    def unmet_areas(self) -> list[AreaDemand]:
        """Areas with unmet demand first (most first), then the others."""
        return sorted(
            (a for a in self.areas if a.errands.considered),
            key=lambda a: (-a.errands.unmet, -a.errands.considered, a.municipality, a.village or ""),
        )


# --- Queries: the rollups of the period's days, and the current day live -----------------


def _today(scope: ReportScope) -> date:
    return local_day(scope.now)


def _rolled(scope: ReportScope, model: Any) -> list[sa.ColumnElement[bool]]:
    """Rollup rows of the scope's days (but the current day, read live) and filters."""
    return [
        model.day >= scope.since,
        model.day <= scope.until,
        model.day != _today(scope),
        *scope.orgs_filter(model.organization_id),
        *scope.muni_filter(model.municipality_id),
    ]


def _live_day(scope: ReportScope) -> tuple[datetime, datetime] | None:
    """The current day's [start, end) when the period has it: read from the base tables."""
    today = _today(scope)
    if not scope.since <= today <= scope.until:
        return None
    return local_midnight(today), local_midnight(today + timedelta(days=1))


def _errand_filters(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    return [*scope.orgs_filter(Errand.organization_id), *scope.muni_filter(Elder.municipality_id)]


def _encounter_filters(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    return [*scope.orgs_filter(Encounter.organization_id), *scope.muni_filter(Encounter.municipality_id)]


AreaKey = tuple[int | None, int | None]
ERRAND_SUMS = ("due", "cancelled_by_elder", "waiting", "matched", "done", "match_seconds", "done_minutes")


@dataclass(frozen=True)
class ErrandFigures:
    """Errand counts per (task type, municipality, village), the time to match and the helpers' minutes."""

    groups: dict[tuple[int, int | None, int | None], ErrandCounts]
    time_to_match: TimeToMatch
    done_minutes: int = 0

    def by_task(self) -> dict[int, ErrandCounts]:
        out: dict[int, ErrandCounts] = defaultdict(ErrandCounts)
        for (task, _m, _v), counts in self.groups.items():
            out[task] = out[task] + counts
        return dict(out)

    def by_area(self) -> dict[AreaKey, ErrandCounts]:
        out: dict[AreaKey, ErrandCounts] = defaultdict(ErrandCounts)
        for (_task, m, v), counts in self.groups.items():
            out[(m, v)] = out[(m, v)] + counts
        return dict(out)


def errand_figures(scope: ReportScope) -> ErrandFigures:
    """Every errand figure: the errand rollups summed (the current day from the errands), two statements.

    Past days have nobody still waiting; days ahead count their errands still
    without a helper as waiting; the current day decides by the clock. The
    median time to match is picked from the minutes histogram.
    """
    R = RollupErrandDay  # noqa: N806 - a table alias
    ahead = R.day > _today(scope)
    parts: list[Any] = [
        sa.select(
            R.task_type_id,
            R.municipality_id,
            R.village_id,
            R.due,
            R.cancelled_by_elder,
            sa.case((ahead, R.waiting_if_ahead), else_=0).label("waiting"),
            R.matched,
            R.done,
            R.match_seconds,
            R.done_minutes,
        ).where(*_rolled(scope, R))
    ]
    live = _live_day(scope)
    if live is not None:
        rows = rollups.errand_rows(*live, _errand_filters(scope), now=scope.now).subquery("live")
        parts.append(
            sa.select(
                *(rows.c[name] for name in ("task_type_id", "municipality_id", "village_id", "due")),
                rows.c.cancelled_by_elder,
                rows.c.waiting_if_ahead.label("waiting"),
                *(rows.c[name] for name in ("matched", "done", "match_seconds", "done_minutes")),
            )
        )
    every = sa.union_all(*parts).subquery("every") if len(parts) > 1 else parts[0].subquery("every")
    keys = (every.c.task_type_id, every.c.municipality_id, every.c.village_id)
    stmt = sa.select(*keys, *(sa.func.sum(every.c[name]).label(name) for name in ERRAND_SUMS)).group_by(*keys)
    groups: dict[tuple[int, int | None, int | None], ErrandCounts] = {}
    matched = done_minutes = 0
    match_seconds = 0.0
    for row in db.session.execute(stmt):
        due, cancelled, waiting, kept = (int(getattr(row, n) or 0) for n in ERRAND_SUMS[:4])
        considered = due - cancelled - waiting
        groups[(row.task_type_id, row.municipality_id, row.village_id)] = ErrandCounts(
            due=due,
            cancelled_by_elder=cancelled,
            waiting=waiting,
            considered=considered,
            matched=kept,
            unmet=considered - kept,
            done=int(row.done or 0),
        )
        matched += kept
        match_seconds += float(row.match_seconds or 0)
        done_minutes += int(row.done_minutes or 0)
    median = _median_minutes(scope)
    time_to_match = TimeToMatch(
        matched,
        None if median is None else _hours(median * 60),
        _hours(match_seconds / matched) if matched else None,
    )
    return ErrandFigures(groups, time_to_match, done_minutes)


def _median_minutes(scope: ReportScope) -> float | None:
    """The median of the matched errands' waits, in minutes, from the histogram (one statement)."""
    M = RollupMatchMinutes  # noqa: N806 - a table alias
    parts: list[Any] = [sa.select(M.minutes, M.errands).where(*_rolled(scope, M))]
    live = _live_day(scope)
    if live is not None:
        rows = rollups.match_minutes_rows(*live, _errand_filters(scope)).subquery("live")
        parts.append(sa.select(rows.c.minutes, rows.c.errands))
    every = sa.union_all(*parts).subquery("every") if len(parts) > 1 else parts[0].subquery("every")
    histogram = [
        (int(minutes), int(n))
        for minutes, n in db.session.execute(
            sa.select(every.c.minutes, sa.func.sum(every.c.errands)).group_by(every.c.minutes).order_by(every.c.minutes)
        )
    ]
    total = sum(n for _, n in histogram)
    if not total:
        return None
    wanted = sorted({(total + 1) // 2, (total + 2) // 2})  # 1-based positions of the middle one or two
    picked: list[int] = []
    seen = 0
    for minutes, n in histogram:
        seen += n
        while wanted and wanted[0] <= seen:
            picked.append(minutes)
            wanted.pop(0)
    return sum(picked) / len(picked)


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else max(float(seconds), 0.0) / 3600


def requests_by_group(scope: ReportScope) -> dict[tuple[int, int | None, int | None], int]:
    """Requests taken in the period per (task type, municipality, village): one statement."""
    Q = RollupRequestDay  # noqa: N806 - a table alias
    parts: list[Any] = [
        sa.select(Q.task_type_id, Q.municipality_id, Q.village_id, Q.requests).where(*_rolled(scope, Q))
    ]
    live = _live_day(scope)
    if live is not None:
        filters = [*scope.orgs_filter(HelpRequest.organization_id), *scope.muni_filter(Elder.municipality_id)]
        rows = rollups.request_rows(*live, filters).subquery("live")
        parts.append(sa.select(rows.c.task_type_id, rows.c.municipality_id, rows.c.village_id, rows.c.requests))
    every = sa.union_all(*parts).subquery("every") if len(parts) > 1 else parts[0].subquery("every")
    keys = (every.c.task_type_id, every.c.municipality_id, every.c.village_id)
    stmt = sa.select(*keys, sa.func.sum(every.c.requests)).group_by(*keys)
    return {(task, m, v): int(n or 0) for task, m, v, n in db.session.execute(stmt)}


def helpers_by_area(scope: ReportScope) -> dict[tuple[int | None, int | None], int]:
    """Approved helpers of the organizations today, by where they live (not period-bound):
    the people counts summed (:class:`app.models.RollupPeopleCount`), one statement."""
    P = RollupPeopleCount  # noqa: N806 - a table alias
    stmt = (
        sa.select(P.municipality_id, P.village_id, sa.func.sum(P.people))
        .where(
            P.person_kind == "helper",
            P.status.in_(MAP_HELPER_STATUSES),
            *scope.orgs_filter(P.organization_id),
            *scope.muni_filter(P.municipality_id),
        )
        .group_by(P.municipality_id, P.village_id)
    )
    return {(m, v): int(n) for m, v, n in db.session.execute(stmt) if n}


def encounters_by_kind_and_area(scope: ReportScope) -> tuple[dict[tuple[str, int | None], tuple[int, int]], int]:
    """Encounters that have taken place, per (kind, municipality): (count, minutes); and the
    helpers' minutes of encounters not made from an errand. One statement."""
    N = RollupEncounterDay  # noqa: N806 - a table alias
    parts: list[Any] = [
        sa.select(N.kind, N.municipality_id, N.encounters, N.minutes, N.helper_minutes).where(
            *_rolled(scope, N), N.day < _today(scope)
        )
    ]
    live = _live_day(scope)
    if live is not None:
        rows = rollups.encounter_rows(*live, _encounter_filters(scope), now=scope.now).subquery("live")
        parts.append(
            sa.select(rows.c.kind, rows.c.municipality_id, rows.c.encounters, rows.c.minutes, rows.c.helper_minutes)
        )
    every = sa.union_all(*parts).subquery("every") if len(parts) > 1 else parts[0].subquery("every")
    keys = (every.c.kind, every.c.municipality_id)
    stmt = sa.select(
        *keys, sa.func.sum(every.c.encounters), sa.func.sum(every.c.minutes), sa.func.sum(every.c.helper_minutes)
    ).group_by(*keys)
    out: dict[tuple[str, int | None], tuple[int, int]] = {}
    helper_minutes = 0
    for kind, muni, n, minutes, helpers in db.session.execute(stmt):
        out[(kind, muni)] = (int(n or 0), int(minutes or 0))
        helper_minutes += int(helpers or 0)
    return out, helper_minutes


def people_reached(scope: ReportScope) -> tuple[int, int]:
    """Different older people reached and helpers taking part in the period: one statement
    over the people of each day (a done errand counts whatever its day; an encounter once
    it has taken place)."""
    P = RollupPersonDay  # noqa: N806 - a table alias
    parts: list[Any] = [
        sa.select(P.person_kind, P.person_id).where(
            *_rolled(scope, P), sa.or_(P.source == "errand", P.day < _today(scope))
        )
    ]
    live = _live_day(scope)
    if live is not None:
        rows = rollups.person_rows(*live, _errand_filters(scope), _encounter_filters(scope), now=scope.now).subquery(
            "live"
        )
        parts.append(sa.select(rows.c.person_kind, rows.c.person_id))
    every = sa.union(*parts).subquery("every") if len(parts) > 1 else parts[0].distinct().subquery("every")
    counts = dict(
        db.session.execute(sa.select(every.c.person_kind, sa.func.count()).group_by(every.c.person_kind)).all()
    )
    return int(counts.get("elder", 0)), int(counts.get("helper", 0))


# --- Putting it together ---------------------------------------------------------------


def _lookups(
    village_ids: Iterable[int | None],
) -> tuple[dict[int, TaskType], dict[int, Municipality], dict[int, Village]]:
    """Reference data for the grouped results: three small queries."""
    tasks = {t.id: t for t in db.session.scalars(sa.select(TaskType).order_by(TaskType.sort_order, TaskType.id))}
    munis = {m.id: m for m in db.session.scalars(sa.select(Municipality))}
    wanted = sorted({v for v in village_ids if v is not None})
    villages = {v.id: v for v in db.session.scalars(sa.select(Village).where(Village.id.in_(wanted or [-1])))}
    return tasks, munis, villages


def build_report(scope: ReportScope, *, locale: str = "fi", stage_reads: bool = True) -> Report:
    """Every figure of the report page, in a constant number of queries (read-only work)."""
    with read_only():
        return _build_report(scope, locale=locale, stage_reads=stage_reads)


def _build_report(scope: ReportScope, *, locale: str, stage_reads: bool) -> Report:
    errands = errand_figures(scope)
    by_task = errands.by_task()
    by_area = errands.by_area()
    asked: dict[int, int] = defaultdict(int)
    asked_by_area: dict[AreaKey, int] = defaultdict(int)
    for (task, m, v), n in requests_by_group(scope).items():
        asked[task] += n
        asked_by_area[(m, v)] += n
    helpers_area = helpers_by_area(scope)
    encounters, encounter_minutes = encounters_by_kind_and_area(scope)
    elders_reached, helpers_active = people_reached(scope)
    area_keys = set(by_area) | set(asked_by_area) | set(helpers_area)
    tasks, munis, villages = _lookups(v for _, v in area_keys)

    total = sum(by_task.values(), ErrandCounts())
    task_rows = [
        TaskDemand(t.code, t.name(locale), asked.get(t.id, 0), by_task.get(t.id, ErrandCounts()))
        for t in tasks.values()
        if t.active or t.id in by_task or t.id in asked
    ]

    def area_name(muni_id: int | None) -> str:
        return municipality_name(munis.get(muni_id), locale) if muni_id is not None else ""

    areas = [
        AreaDemand(m, area_name(m), v, villages[v].name if v in villages else None, counts)
        for (m, v), counts in by_area.items()
    ]

    kinds: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    encounters_per_muni: dict[int | None, int] = defaultdict(int)
    for (kind, muni_id), (n, minutes) in encounters.items():
        kinds[kind][0] += n
        kinds[kind][1] += minutes
        encounters_per_muni[muni_id] += n
    kind_rows = [KindCount(k, *kinds.get(k, (0, 0))) for k in ENCOUNTER_KINDS]
    kind_rows += [KindCount(k, *v) for k, v in sorted(kinds.items()) if k not in ENCOUNTER_KINDS]

    points, unplaced_requests, unplaced_helpers = _map_points(asked_by_area, helpers_area, munis, villages, locale)

    per_muni_errands: dict[int | None, ErrandCounts] = defaultdict(ErrandCounts)
    for (m, _v), counts in by_area.items():
        per_muni_errands[m] = per_muni_errands[m] + counts
    per_muni_requests: dict[int | None, int] = defaultdict(int)
    for (m, _v), n in asked_by_area.items():
        per_muni_requests[m] += n
    muni_ids = set(per_muni_errands) | set(per_muni_requests) | set(encounters_per_muni)
    muni_rows = sorted(
        (
            MunicipalityRow(
                m,
                area_name(m),
                per_muni_requests.get(m, 0),
                per_muni_errands.get(m, ErrandCounts()),
                encounters_per_muni.get(m, 0),
            )
            for m in muni_ids
        ),
        key=lambda r: (r.municipality_id is None, r.name),
    )

    report = Report(
        scope=scope,
        requests=sum(asked.values()),
        errands=total,
        time_to_match=errands.time_to_match,
        tasks=task_rows,
        areas=areas,
        encounters_by_kind=kind_rows,
        people=People(elders_reached, helpers_active, errands.done_minutes, encounter_minutes),
        map_points=points,
        unplaced_requests=unplaced_requests,
        unplaced_helpers=unplaced_helpers,
        municipalities=muni_rows,
    )
    if stage_reads:
        report.funnel, report.checkins = _stage_reads(scope)
    report.activities = activity_figures(scope.organization_ids, scope.municipality_id, scope.start, scope.end)
    return report


def _stage_reads(scope: ReportScope) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The stage funnel and check-in changes, from the encounters area."""
    last_moment = scope.end - timedelta(microseconds=1)
    funnel = stage_funnel(scope.organization_ids, scope.municipality_id, scope.start, last_moment, scope.now)
    checkins = checkin_changes(scope.organization_ids, scope.municipality_id, scope.since, scope.until)
    return funnel, checkins


def _map_points(
    requests: dict[tuple[int | None, int | None], int],
    helpers: dict[tuple[int | None, int | None], int],
    munis: dict[int, Municipality],
    villages: dict[int, Village],
    locale: str,
) -> tuple[list[MapPoint], int, int]:
    """Counts placed at village centres (or the municipality centre), never at a home.

    Coordinates are rounded to 0.01° (about 1 km) on top of that.
    """
    placed: dict[tuple[str, str | None], list[Any]] = {}
    unplaced = [0, 0]
    for index, source in enumerate((requests, helpers)):
        for (muni_id, village_id), n in source.items():
            muni = munis.get(muni_id) if muni_id is not None else None
            village = villages.get(village_id) if village_id is not None else None
            if village is not None and village.lat is not None and village.lon is not None:
                key, lat, lon = (municipality_name(muni, locale), village.name), village.lat, village.lon
            elif muni is not None and muni.lat is not None and muni.lon is not None:
                key, lat, lon = (municipality_name(muni, locale), None), muni.lat, muni.lon
            else:
                unplaced[index] += n
                continue
            entry = placed.setdefault(key, [round(lat, 2), round(lon, 2), 0, 0])
            entry[2 + index] += n
    points = [
        MapPoint(muni_name, village_name, lat, lon, n_requests, n_helpers)
        for (muni_name, village_name), (lat, lon, n_requests, n_helpers) in sorted(
            placed.items(), key=lambda item: (item[0][0], item[0][1] or "")
        )
    ]
    return points, unplaced[0], unplaced[1]
