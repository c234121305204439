"""THE ORACLE (tests only): the report page's reads as they were before the rollups (4b3dd4d),
counting every errand and encounter of the period. tests/reports/test_rollups.py checks that the
report summed from the rollups equals this one. Copied unchanged but for the imports.

Aggregate reads for the report page and its CSV export.

Every figure is an SQL aggregate (COUNT, SUM, AVG, GROUP BY); no query loads
the rows it counts into Python, and the page runs the same number of queries
whatever the amount of data. Python only joins the small grouped results to
the reference data (task types, municipalities, villages).

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
  helper took it, over the matched errands; median and mean in hours.
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
from datetime import timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from app.db_setup import read_only
from app.extensions import db
from app.models import (
    Assignment,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    HelperProfile,
    HelpRequest,
    Municipality,
    TaskType,
    Village,
)
from app.models.encounter import ENCOUNTER_KINDS
from app.reports.scope import ReportScope, municipality_name
from tests.reports.oracle_checkins import checkin_changes
from tests.reports.oracle_funnel import stage_funnel

ELDER_SIDE_CANCELLERS = ("elder", "relative")
"""Who cancels for the older person: such errands are not counted as demand."""
WAITING_STATES = ("open", "offered")
KEPT_ASSIGNMENT = Assignment.status != "withdrawn"
DONE_MINUTES = sa.func.coalesce(sa.func.sum(sa.func.coalesce(Assignment.report_minutes, Errand.duration_minutes)), 0)
"""Minutes of done assignments: what the helper reported, else the errand's planned length."""
MAP_HELPER_STATUSES = ("approved",)


# --- Seconds between two timestamps, on both engines -------------------------------


class seconds_between(FunctionElement):  # noqa: N801 - reads like the SQL function it stands for
    """``seconds_between(later, earlier)``: the difference in seconds as a float."""

    type = sa.Float()
    inherit_cache = True


@compiles(seconds_between)
def _seconds_between_pg(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"EXTRACT(EPOCH FROM ({compiler.process(later, **kw)} - {compiler.process(earlier, **kw)}))"


@compiles(seconds_between, "sqlite")
def _seconds_between_sqlite(element, compiler, **kw):
    later, earlier = list(element.clauses)
    return f"((julianday({compiler.process(later, **kw)}) - julianday({compiler.process(earlier, **kw)})) * 86400.0)"


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


# --- Queries ---------------------------------------------------------------------------


def _errand_conditions(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    return [
        Errand.starts_at >= scope.start,
        Errand.starts_at < scope.end,
        *scope.orgs_filter(Errand.organization_id),
        *scope.muni_filter(Elder.municipality_id),
    ]


def _encounter_conditions(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    return [
        Encounter.occurred_at >= scope.start,
        Encounter.occurred_at < scope.end,
        Encounter.occurred_at <= scope.now,
        *scope.orgs_filter(Encounter.organization_id),
        *scope.muni_filter(Encounter.municipality_id),
    ]


def _request_conditions(scope: ReportScope) -> list[sa.ColumnElement[bool]]:
    return [
        HelpRequest.created_at >= scope.start,
        HelpRequest.created_at < scope.end,
        *scope.orgs_filter(HelpRequest.organization_id),
        *scope.muni_filter(Elder.municipality_id),
    ]


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


AreaKey = tuple[int | None, int | None]


@dataclass(frozen=True)
class ErrandFigures:
    """Errand counts per (task type, municipality, village), and the time to match."""

    groups: dict[tuple[int, int | None, int | None], ErrandCounts]
    time_to_match: TimeToMatch

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
    """Every errand figure in one statement.

    A common table expression works out, once per errand due in the period,
    whether it got a helper (an assignment not withdrawn) and when a helper
    first took it. The counts are grouped from it by task type and area, and
    the median time to match is picked from it with window functions (the
    durations are numbered in order and the middle one, or the mean of the
    middle two, is averaged), which works the same on PostgreSQL and SQLite.
    """
    per = (
        sa.select(
            Errand.id,
            Errand.task_type_id,
            Elder.municipality_id,
            Elder.village_id,
            Errand.state,
            Errand.cancelled_by_kind,
            Errand.starts_at,
            Errand.created_at,
            sa.func.coalesce(sa.func.max(sa.case((KEPT_ASSIGNMENT, 1), else_=0)), 0).label("kept"),
            sa.func.min(Assignment.assigned_at).label("first_at"),
        )
        .join(Elder, Elder.id == Errand.elder_id)
        .outerjoin(Assignment, Assignment.errand_id == Errand.id)
        .where(*_errand_conditions(scope))
        .group_by(
            Errand.id,
            Errand.task_type_id,
            Elder.municipality_id,
            Elder.village_id,
            Errand.state,
            Errand.cancelled_by_kind,
            Errand.starts_at,
            Errand.created_at,
        )
        .cte("per_errand")
    )
    kept = per.c.kept == 1
    cancelled_by_elder = sa.and_(per.c.state == "cancelled", per.c.cancelled_by_kind.in_(ELDER_SIDE_CANCELLERS))
    waiting = sa.and_(~kept, per.c.starts_at >= scope.now, per.c.state.in_(WAITING_STATES))
    considered = sa.and_(~cancelled_by_elder, ~waiting)
    flags = {
        "cancelled_by_elder": cancelled_by_elder,
        "waiting": sa.and_(~cancelled_by_elder, waiting),
        "considered": considered,
        "matched": sa.and_(considered, kept),
        "unmet": sa.and_(considered, ~kept),
        "done": per.c.state == "done",
    }
    groups = (
        sa.select(
            per.c.task_type_id,
            per.c.municipality_id,
            per.c.village_id,
            sa.func.count().label("due"),
            *(_count_if(flags[name]).label(name) for name in ErrandCounts.__dataclass_fields__ if name != "due"),
        )
        .group_by(per.c.task_type_id, per.c.municipality_id, per.c.village_id)
        .subquery("groups")
    )
    durations = (
        sa.select(seconds_between(per.c.first_at, per.c.created_at).label("s")).where(flags["matched"]).subquery()
    )
    ordered = sa.select(
        durations.c.s,
        sa.func.row_number().over(order_by=durations.c.s).label("rn"),
        sa.func.count().over().label("n"),
    ).subquery("ordered")
    middle = sa.or_(ordered.c.rn == (ordered.c.n + 1) // 2, ordered.c.rn == (ordered.c.n + 2) // 2)
    ttm = sa.select(
        sa.func.count().label("ttm_n"),
        sa.func.avg(ordered.c.s).label("ttm_mean"),
        sa.func.avg(sa.case((middle, ordered.c.s))).label("ttm_median"),
    ).subquery("ttm")
    stmt = sa.select(groups, ttm).select_from(groups.join(ttm, sa.true()))
    result: dict[tuple[int, int | None, int | None], ErrandCounts] = {}
    time_to_match = TimeToMatch(0, None, None)
    for row in db.session.execute(stmt):
        result[(row.task_type_id, row.municipality_id, row.village_id)] = _counts(row)
        time_to_match = TimeToMatch(int(row.ttm_n or 0), _hours(row.ttm_median), _hours(row.ttm_mean))
    return ErrandFigures(result, time_to_match)


def _hours(seconds: Any) -> float | None:
    return None if seconds is None else max(float(seconds), 0.0) / 3600


def _counts(row: Any) -> ErrandCounts:
    return ErrandCounts(**{name: int(getattr(row, name) or 0) for name in ErrandCounts.__dataclass_fields__})


def requests_by_task(scope: ReportScope) -> dict[int, int]:
    stmt = (
        sa.select(HelpRequest.task_type_id, sa.func.count(HelpRequest.id))
        .join(Elder, Elder.id == HelpRequest.elder_id)
        .where(*_request_conditions(scope))
        .group_by(HelpRequest.task_type_id)
    )
    return {task_id: int(n) for task_id, n in db.session.execute(stmt)}


def requests_by_area(scope: ReportScope) -> dict[tuple[int | None, int | None], int]:
    stmt = (
        sa.select(Elder.municipality_id, Elder.village_id, sa.func.count(HelpRequest.id))
        .join(Elder, Elder.id == HelpRequest.elder_id)
        .where(*_request_conditions(scope))
        .group_by(Elder.municipality_id, Elder.village_id)
    )
    return {(m, v): int(n) for m, v, n in db.session.execute(stmt)}


def helpers_by_area(scope: ReportScope) -> dict[tuple[int | None, int | None], int]:
    """Approved helpers of the organizations today, by where they live (not period-bound)."""
    stmt = (
        sa.select(HelperProfile.municipality_id, HelperProfile.village_id, sa.func.count(HelperProfile.id))
        .where(
            HelperProfile.status.in_(MAP_HELPER_STATUSES),
            *scope.orgs_filter(HelperProfile.organization_id),
            *scope.muni_filter(HelperProfile.municipality_id),
        )
        .group_by(HelperProfile.municipality_id, HelperProfile.village_id)
    )
    return {(m, v): int(n) for m, v, n in db.session.execute(stmt)}


def encounters_by_kind_and_area(scope: ReportScope) -> dict[tuple[str, int | None], tuple[int, int]]:
    stmt = (
        sa.select(
            Encounter.kind,
            Encounter.municipality_id,
            sa.func.count(Encounter.id),
            sa.func.coalesce(sa.func.sum(Encounter.duration_minutes), 0),
        )
        .where(*_encounter_conditions(scope))
        .group_by(Encounter.kind, Encounter.municipality_id)
    )
    return {(kind, muni): (int(n), int(minutes)) for kind, muni, n, minutes in db.session.execute(stmt)}


def people_and_hours(scope: ReportScope) -> People:
    """Older people reached, helpers taking part and helper minutes, in one statement.

    Two common table expressions read the period's encounters (with their
    participants) and its errands (with their done assignments) once each;
    the four figures are counted from them.
    """
    ep = EncounterParticipant
    encounter_rows = (
        sa.select(ep.elder_id, ep.helper_id, Encounter.errand_id, Encounter.duration_minutes)
        .join(Encounter, Encounter.id == ep.encounter_id)
        .where(*_encounter_conditions(scope))
        .cte("encounter_rows")
    )
    errand_rows = (
        sa.select(
            Errand.elder_id,
            Errand.state,
            Assignment.helper_id,
            sa.func.coalesce(Assignment.report_minutes, Errand.duration_minutes).label("minutes"),
        )
        .join(Elder, Elder.id == Errand.elder_id)
        .outerjoin(Assignment, sa.and_(Assignment.errand_id == Errand.id, Assignment.status == "done"))
        .where(*_errand_conditions(scope), sa.or_(Errand.state == "done", Assignment.id.is_not(None)))
        .cte("errand_rows")
    )
    elders = sa.union(
        sa.select(encounter_rows.c.elder_id).where(encounter_rows.c.elder_id.is_not(None)),
        sa.select(errand_rows.c.elder_id).where(errand_rows.c.state == "done"),
    ).subquery()
    helpers = sa.union(
        sa.select(encounter_rows.c.helper_id).where(encounter_rows.c.helper_id.is_not(None)),
        sa.select(errand_rows.c.helper_id).where(errand_rows.c.helper_id.is_not(None)),
    ).subquery()
    errand_minutes = sa.select(sa.func.coalesce(sa.func.sum(errand_rows.c.minutes), 0)).where(
        errand_rows.c.helper_id.is_not(None)
    )
    encounter_minutes = sa.select(sa.func.coalesce(sa.func.sum(encounter_rows.c.duration_minutes), 0)).where(
        encounter_rows.c.helper_id.is_not(None), encounter_rows.c.errand_id.is_(None)
    )
    row = db.session.execute(
        sa.select(
            sa.select(sa.func.count()).select_from(elders).scalar_subquery(),
            sa.select(sa.func.count()).select_from(helpers).scalar_subquery(),
            errand_minutes.scalar_subquery(),
            encounter_minutes.scalar_subquery(),
        )
    ).one()
    return People(*(int(v or 0) for v in row))


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
    asked = requests_by_task(scope)
    asked_by_area = requests_by_area(scope)
    helpers_area = helpers_by_area(scope)
    encounters = encounters_by_kind_and_area(scope)
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
        people=people_and_hours(scope),
        map_points=points,
        unplaced_requests=unplaced_requests,
        unplaced_helpers=unplaced_helpers,
        municipalities=muni_rows,
    )
    if stage_reads:
        report.funnel, report.checkins = _stage_reads(scope)
    return report


def _stage_reads(scope: ReportScope) -> tuple[dict[str, Any] | None, dict[str, Any] | None]:
    """The stage funnel and check-in changes, from the encounters area."""
    last_moment = scope.end - timedelta(microseconds=1)
    funnel = stage_funnel(scope.organization_ids, scope.municipality_id, scope.start, last_moment, scope.now)
    checkins = checkin_changes(scope.organization_ids, scope.municipality_id, scope.start, last_moment)
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
