"""Report rollups: the report's figures summed per local day and area, kept in step
with the errands, requests and encounters they come from.

The report page sums these tables (:mod:`app.models.rollup`) instead of reading
every errand and encounter of its period, so a report costs what its days and
areas cost, not what its people do.

How they stay right:

- A *bucket* is one local (Helsinki) day of one municipality. The services that
  change an errand, a request or an encounter call :func:`touch` with it (the
  errand state machine for every errand step, the request intake for new
  errands, the encounter services for encounters). Before the transaction
  commits, every touched bucket is rebuilt from the base tables by
  :func:`rebuild_buckets` - the same statements the repair uses, so an update
  can never count differently from a rebuild. The people who met in a touched
  encounter are handed to the registered stage refreshers
  (:func:`on_people_met`; the stage changes live with the stage rules).
- Well-being check-ins are summed per day too (the rows are built by the
  check-in rules, registered with :func:`on_checkins`). A check-in touched
  (written or deleted), or a person who moves, changes organization or status
  (seen on every flush, whoever changes them), redoes the (day, municipality)
  buckets of that person's check-in days, and the scope copied onto their
  stage changes (:func:`on_people_changed`).
- :func:`rebuild_days` rebuilds whole days (every municipality): the scheduler's
  nightly "rollups" job repairs the recent weeks with it, ``flask rebuild-rollups``
  and the benchmark data generator fill everything.

What a row holds does not depend on the clock: "still waiting for a helper"
and "has taken place" are decided by the reader, which reads the current day
from the base tables through the same statements (:func:`errand_rows`...).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from app.extensions import db
from app.i18n import HELSINKI, local_midnight
from app.models import (
    Assignment,
    CheckIn,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    HelperProfile,
    HelpRequest,
    RollupEncounterDay,
    RollupErrandDay,
    RollupMatchMinutes,
    RollupPeopleCount,
    RollupPersonDay,
    RollupRequestDay,
)

log = logging.getLogger(__name__)

ELDER_SIDE_CANCELLERS = ("elder", "relative")
"""Who cancels for the older person: such errands are not counted as demand."""
WAITING_STATES = ("open", "offered")
KEPT_ASSIGNMENT = Assignment.status != "withdrawn"
ASSIGNMENT_MINUTES = sa.func.coalesce(Assignment.report_minutes, Errand.duration_minutes)
"""Minutes of a done assignment: what the helper reported, else the errand's planned length."""

REPAIR_DAYS_BEHIND = 35
REPAIR_DAYS_AHEAD = 70
"""The nightly repair rebuilds these days around today (errands are planned weeks ahead)."""

Bucket = tuple[date, int | None]
"""A local day and a municipality id (None: place not known)."""


# --- Time ------------------------------------------------------------------------------


def local_day(moment: datetime) -> date:
    return moment.astimezone(HELSINKI).date()


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


def _nearest_minute(seconds: sa.ColumnElement[float]) -> sa.ColumnElement[int]:
    return sa.cast(sa.func.round(seconds / 60.0), sa.Integer)


def _count_if(condition: sa.ColumnElement[bool]) -> sa.ColumnElement[int]:
    return sa.func.coalesce(sa.func.sum(sa.case((condition, 1), else_=0)), 0)


def in_ids(column: sa.ColumnElement, ids: Iterable[int | None]) -> sa.ColumnElement[bool]:
    """``column`` is one of ``ids`` (None in ``ids`` matches NULL)."""
    ids = set(ids)
    known = sorted(i for i in ids if i is not None)
    parts: list[sa.ColumnElement[bool]] = []
    if known:
        parts.append(column.in_(known))
    if None in ids:
        parts.append(column.is_(None))
    return sa.or_(*parts) if parts else sa.false()


# --- The statements: one day range of the base tables, grouped as the rollups are ----------


#: What identifies an errand in _per_errand (selected and grouped by).
_ERRAND_KEY = (
    Errand.id,
    Errand.organization_id,
    Elder.municipality_id,
    Elder.village_id,
    Errand.task_type_id,
    Errand.state,
    Errand.cancelled_by_kind,
    Errand.starts_at,
    Errand.created_at,
)


def _per_errand(start: datetime, end: datetime, conditions: list) -> Any:
    """Once per errand due in [start, end): its area, state, whether it got a helper and when."""
    return (
        sa.select(
            *_ERRAND_KEY,
            sa.func.coalesce(sa.func.max(sa.case((KEPT_ASSIGNMENT, 1), else_=0)), 0).label("kept"),
            sa.func.min(Assignment.assigned_at).label("first_at"),
            sa.func.coalesce(sa.func.sum(sa.case((Assignment.status == "done", ASSIGNMENT_MINUTES), else_=0)), 0).label(
                "done_minutes"
            ),
        )
        .join(Elder, Elder.id == Errand.elder_id)
        .outerjoin(Assignment, Assignment.errand_id == Errand.id)
        .where(Errand.starts_at >= start, Errand.starts_at < end, *conditions)
        .group_by(*_ERRAND_KEY)
        .cte("per_errand")
    )


def _errand_flags(per: Any, now: datetime | None) -> dict[str, sa.ColumnElement[bool]]:
    kept = per.c.kept == 1
    cancelled_by_elder = sa.and_(per.c.state == "cancelled", per.c.cancelled_by_kind.in_(ELDER_SIDE_CANCELLERS))
    waiting = sa.and_(~kept, ~cancelled_by_elder, per.c.state.in_(WAITING_STATES))
    if now is not None:
        waiting = sa.and_(waiting, per.c.starts_at >= now)
    return {
        "cancelled_by_elder": cancelled_by_elder,
        "waiting_if_ahead": waiting,
        "matched": sa.and_(kept, ~cancelled_by_elder),
        "done": per.c.state == "done",
    }


def errand_rows(start: datetime, end: datetime, conditions: list, *, now: datetime | None = None) -> sa.Select:
    """Errand counts of [start, end) grouped by organization, area and task type, as
    `RollupErrandDay` holds them. With ``now``, ``waiting_if_ahead`` counts only
    errands still ahead of it (the current day, read live)."""
    per = _per_errand(start, end, conditions)
    flags = _errand_flags(per, now)
    keys = (per.c.organization_id, per.c.municipality_id, per.c.village_id, per.c.task_type_id)
    return sa.select(
        *keys,
        sa.func.count().label("due"),
        *(_count_if(flag).label(name) for name, flag in flags.items()),
        sa.func.coalesce(
            sa.func.sum(sa.case((flags["matched"], seconds_between(per.c.first_at, per.c.created_at)), else_=0.0)),
            0.0,
        ).label("match_seconds"),
        sa.func.coalesce(sa.func.sum(per.c.done_minutes), 0).label("done_minutes"),
    ).group_by(*keys)


def match_minutes_rows(start: datetime, end: datetime, conditions: list) -> sa.Select:
    """Matched errands of [start, end) by how long they waited, to the nearest minute."""
    per = _per_errand(start, end, conditions)
    flags = _errand_flags(per, None)
    minutes = _nearest_minute(seconds_between(per.c.first_at, per.c.created_at)).label("minutes")
    keys = (per.c.organization_id, per.c.municipality_id, per.c.village_id)
    return sa.select(*keys, minutes, sa.func.count().label("errands")).where(flags["matched"]).group_by(*keys, minutes)


def request_rows(start: datetime, end: datetime, conditions: list) -> sa.Select:
    keys = (HelpRequest.organization_id, Elder.municipality_id, Elder.village_id, HelpRequest.task_type_id)
    return (
        sa.select(*keys, sa.func.count(HelpRequest.id).label("requests"))
        .join(Elder, Elder.id == HelpRequest.elder_id)
        .where(HelpRequest.created_at >= start, HelpRequest.created_at < end, *conditions)
        .group_by(*keys)
    )


def encounter_rows(start: datetime, end: datetime, conditions: list, *, now: datetime | None = None) -> sa.Select:
    """Encounters of [start, end) (with ``now``: only those that have taken place) by
    organization, municipality and kind; ``helper_minutes`` is the length once for each
    young participant of an encounter not made from an errand."""
    helpers = (
        sa.select(sa.func.count(EncounterParticipant.id))
        .where(EncounterParticipant.encounter_id == Encounter.id, EncounterParticipant.helper_id.is_not(None))
        .correlate(Encounter)
        .scalar_subquery()
    )
    keys = (Encounter.organization_id, Encounter.municipality_id, Encounter.kind)
    taken_place = [] if now is None else [Encounter.occurred_at <= now]
    return (
        sa.select(
            *keys,
            sa.func.count(Encounter.id).label("encounters"),
            sa.func.coalesce(sa.func.sum(Encounter.duration_minutes), 0).label("minutes"),
            sa.func.coalesce(
                sa.func.sum(sa.case((Encounter.errand_id.is_(None), Encounter.duration_minutes * helpers), else_=0)), 0
            ).label("helper_minutes"),
        )
        .where(Encounter.occurred_at >= start, Encounter.occurred_at < end, *taken_place, *conditions)
        .group_by(*keys)
    )


def person_rows(
    start: datetime,
    end: datetime,
    errand_conditions: list,
    encounter_conditions: list,
    *,
    now: datetime | None = None,
) -> sa.CompoundSelect:
    """Who took part in [start, end): (organization, municipality, source, person kind, id), distinct.

    Participants of encounters (with ``now``: those that have taken place), the
    older person of every done errand, and every helper with a done assignment.
    """
    ep = EncounterParticipant
    taken_place = [] if now is None else [Encounter.occurred_at <= now]
    in_encounters = [Encounter.occurred_at >= start, Encounter.occurred_at < end, *taken_place, *encounter_conditions]
    in_errands = [Errand.starts_at >= start, Errand.starts_at < end, *errand_conditions]

    def met(kind: str, column: sa.ColumnElement) -> sa.Select:
        return (
            sa.select(
                Encounter.organization_id,
                Encounter.municipality_id,
                sa.literal("encounter").label("source"),
                sa.literal(kind).label("person_kind"),
                column.label("person_id"),
            )
            .join(ep, ep.encounter_id == Encounter.id)
            .where(*in_encounters, column.is_not(None))
        )

    elders_done = (
        sa.select(
            Errand.organization_id,
            Elder.municipality_id,
            sa.literal("errand"),
            sa.literal("elder"),
            Errand.elder_id,
        )
        .join(Elder, Elder.id == Errand.elder_id)
        .where(*in_errands, Errand.state == "done")
    )
    helpers_done = (
        sa.select(
            Errand.organization_id,
            Elder.municipality_id,
            sa.literal("errand"),
            sa.literal("helper"),
            Assignment.helper_id,
        )
        .join(Elder, Elder.id == Errand.elder_id)
        .join(Assignment, sa.and_(Assignment.errand_id == Errand.id, Assignment.status == "done"))
        .where(*in_errands)
    )
    return sa.union(met("helper", ep.helper_id), met("elder", ep.elder_id), elders_done, helpers_done)


# --- Rebuilding ---------------------------------------------------------------------------


def _rebuild_day(day: date, municipality_ids: set[int | None] | None) -> None:
    """Replace the rollup rows of ``day`` (of ``municipality_ids``; None: every one)."""
    start, end = local_midnight(day), local_midnight(day + timedelta(days=1))

    def where(column: sa.ColumnElement) -> list:
        return [] if municipality_ids is None else [in_ids(column, municipality_ids)]

    elder_area = where(Elder.municipality_id)
    place = where(Encounter.municipality_id)
    plans: list[tuple[type, sa.Select | sa.CompoundSelect]] = [
        (RollupErrandDay, errand_rows(start, end, elder_area)),
        (RollupMatchMinutes, match_minutes_rows(start, end, elder_area)),
        (RollupRequestDay, request_rows(start, end, elder_area)),
        (RollupEncounterDay, encounter_rows(start, end, place)),
        (RollupPersonDay, person_rows(start, end, elder_area, place)),
    ]
    for model, rows in plans:
        db.session.execute(sa.delete(model).where(model.day == day, *where(model.municipality_id)))
        source = rows.subquery()
        names = [c.name for c in source.c]
        db.session.execute(
            sa.insert(model).from_select(["day", *names], sa.select(sa.literal(day, sa.Date()).label("day"), *source.c))
        )


def rebuild_buckets(buckets: Iterable[Bucket]) -> int:
    """Rebuild these (day, municipality) buckets from the base tables; returns how many days."""
    by_day: dict[date, set[int | None]] = {}
    for day, municipality_id in buckets:
        by_day.setdefault(day, set()).add(municipality_id)
    for day in sorted(by_day):
        munis = by_day[day]
        _rebuild_day(day, None if EVERY_MUNICIPALITY in munis else munis)
    return len(by_day)


def rebuild_days(first: date, last: date) -> int:
    """Rebuild every rollup row of the days ``first`` .. ``last`` (idempotent); returns the days."""
    day = first
    count = 0
    while day <= last:
        _rebuild_day(day, None)
        day += timedelta(days=1)
        count += 1
    for rebuilder in _CHECKIN_REBUILDERS:
        rebuilder(first, last, None)
    return count


def data_days() -> tuple[date, date] | None:
    """The first and last local day with an errand, a request or an encounter."""
    bounds = [
        db.session.execute(sa.select(sa.func.min(column), sa.func.max(column))).one()
        for column in (Errand.starts_at, HelpRequest.created_at, Encounter.occurred_at)
    ]
    moments = [_aware(v) for pair in bounds for v in pair if v is not None]
    if not moments:
        return None
    return local_day(min(moments)), local_day(max(moments))


def _aware(value: Any) -> datetime:
    """MIN/MAX skip the column type on SQLite and come back as naive text."""
    if isinstance(value, str):
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def rebuild_everything() -> int:
    """Empty the rollups and rebuild every day that has data, and the stage changes."""
    for model in (RollupErrandDay, RollupMatchMinutes, RollupRequestDay, RollupEncounterDay, RollupPersonDay):
        db.session.execute(sa.delete(model))
    span = data_days()
    days = rebuild_days(*span) if span else 0
    for rebuilder in _CHECKIN_REBUILDERS:
        rebuilder(None, None, None)  # every check-in, whenever taken
    recount_people()
    for refresher in _REFRESHERS:
        refresher(None, None, None)
    return days


# --- Keeping them in step: touched objects are rebuilt before the commit --------------------

_TOUCHED = "rollup_touched"
_BUCKETS = "rollup_buckets"
_PEOPLE = "rollup_people"

_CHECKIN_PEOPLE = "rollup_checkin_people"
_CHECKIN_BUCKETS = "rollup_checkin_buckets"
_RESCOPED = "rollup_rescoped"
_MOVED_ELDERS = "rollup_moved_elders"
EVERY_MUNICIPALITY = -1
"""In a person's former municipalities: not known (the buckets of every municipality are redone)."""

PeopleRefresher = Callable[[set[int] | None, set[int] | None, set[tuple[int, int]] | None], None]
_REFRESHERS: list[PeopleRefresher] = []
CheckinRebuilder = Callable[[date | None, date | None, set[int | None] | None], None]
_CHECKIN_REBUILDERS: list[CheckinRebuilder] = []
ScopeRefresher = Callable[[set[int], set[int]], None]
_SCOPE_REFRESHERS: list[ScopeRefresher] = []


def on_checkins(rebuilder: CheckinRebuilder) -> None:
    """Register how the check-in rows are rebuilt: ``rebuilder(first_day, last_day,
    municipality_ids)`` replaces the rows of those days (None: unbounded) and
    municipalities (None: every one)."""
    if rebuilder not in _CHECKIN_REBUILDERS:
        _CHECKIN_REBUILDERS.append(rebuilder)


def on_people_changed(refresher: ScopeRefresher) -> None:
    """Register what to redo, before the commit, for helpers and older people whose
    organization, municipality or status changed: ``refresher(helper_ids, elder_ids)``."""
    if refresher not in _SCOPE_REFRESHERS:
        _SCOPE_REFRESHERS.append(refresher)


def on_people_met(refresher: PeopleRefresher) -> None:
    """Register what to redo for the people of a changed encounter, before the commit:
    ``refresher(helper_ids, elder_ids, pairs)`` (all None: everyone, on a full rebuild)."""
    if refresher not in _REFRESHERS:
        _REFRESHERS.append(refresher)


def touch(obj: Errand | Assignment | HelpRequest | Encounter | EncounterParticipant) -> None:
    """Note that ``obj`` changed: its day and area are rebuilt before this transaction commits.

    Called by the one owner of each change (the errand state machine, the
    request intake, the encounter services). An encounter's people get their
    stage changes redone too.
    """
    session = db.session()
    if isinstance(obj, CheckIn):
        _touch_checkin(session, obj)
        return
    session.info.setdefault(_TOUCHED, []).append(obj)
    with contextlib.suppress(AttributeError, TypeError):  # where it was before the change, if known yet
        session.info.setdefault(_BUCKETS, set()).update(_buckets_of(obj))
    if isinstance(obj, Encounter):
        _note_people(session, obj)


def _person_of(checkin: CheckIn) -> tuple[str, int | None]:
    return checkin.subject_kind, checkin.helper_id if checkin.subject_kind == "helper" else checkin.elder_id


def _touch_checkin(session: Session, checkin: CheckIn) -> None:
    """A check-in written or about to be deleted: its person's check-in days are redone
    at the commit, and its own day now (it may be gone by then)."""
    kind, person_id = _person_of(checkin)
    if person_id is None:
        return
    session.info.setdefault(_CHECKIN_PEOPLE, {}).setdefault((kind, person_id), set())
    person = session.get(HelperProfile if kind == "helper" else Elder, person_id)
    if checkin.taken_at is not None and person is not None:
        session.info.setdefault(_CHECKIN_BUCKETS, set()).add((local_day(checkin.taken_at), person.municipality_id))


_SCOPE_ATTRIBUTES = ("organization_id", "organization", "status")
_VILLAGE_ATTRIBUTES = ("village_id", "village")
_GROUP_COLUMNS = ("organization_id", "municipality_id", "village_id", "status")
_GROUP_ATTRIBUTES = (*_GROUP_COLUMNS, "organization", "municipality", "village")
_COUNTED = "rollup_counted_groups"
_COUNTED_PEOPLE = "rollup_counted_people"
EVERY_GROUP = "every"
"""In the groups to recount: a person's former group is not known (the kind is recounted)."""

PeopleGroup = tuple[str, int | None, int | None, int | None, str]
"""(person kind, organization, municipality, village, status): a row of RollupPeopleCount."""


def _kind_of(person: HelperProfile | Elder) -> str:
    return "helper" if isinstance(person, HelperProfile) else "elder"


def _former_group(session: Session, state: Any, kind: str) -> PeopleGroup:
    """The group a person was in before this flush (as loaded, else as the database has it)."""
    values = []
    for name in _GROUP_COLUMNS:
        history = state.attrs[name].history
        if history.deleted:
            values.append(history.deleted[0])
        elif history.added or name not in state.dict:
            model = type(state.object)
            with session.no_autoflush:
                row = session.execute(
                    sa.select(*(getattr(model, n) for n in _GROUP_COLUMNS)).where(model.id == state.identity[0])
                ).one()
            return (kind, *row)  # type: ignore[return-value]
        else:
            values.append(state.dict[name])
    return (kind, *values)  # type: ignore[return-value]


def _note_counted(session: Session) -> None:
    """People who join, leave or change their group (organization, area, status)."""
    groups = session.info.setdefault(_COUNTED, set())
    people = session.info.setdefault(_COUNTED_PEOPLE, set())
    for obj in session.new:
        if isinstance(obj, HelperProfile | Elder):
            people.add((_kind_of(obj), obj))
    for obj in session.deleted:
        if isinstance(obj, HelperProfile | Elder):
            groups.add(_former_group(session, sa.inspect(obj), _kind_of(obj)))
    for obj in session.dirty:
        if isinstance(obj, HelperProfile | Elder):
            state = sa.inspect(obj)
            if _changed(state, _GROUP_ATTRIBUTES):
                groups.add(_former_group(session, state, _kind_of(obj)))
                people.add((_kind_of(obj), obj))


def recount_people(groups: Iterable[PeopleGroup | tuple[str, str]] | None = None) -> None:
    """Count the helpers and older people of these groups again (None: every group)."""
    wanted: dict[str, set] = {"helper": set(), "elder": set()}
    for group in [("helper", EVERY_GROUP), ("elder", EVERY_GROUP)] if groups is None else groups:
        wanted[group[0]].add(group[1:] if group[1] != EVERY_GROUP else EVERY_GROUP)
    P = RollupPeopleCount  # noqa: N806 - a table alias
    for kind, model in (("helper", HelperProfile), ("elder", Elder)):
        keys = [getattr(model, name) for name in _GROUP_COLUMNS]
        selects: list[list[sa.ColumnElement[bool]]] = []
        if EVERY_GROUP in wanted[kind]:
            db.session.execute(sa.delete(P).where(P.person_kind == kind))
            selects.append([])
        else:
            for values in sorted(wanted[kind], key=repr):
                db.session.execute(
                    sa.delete(P).where(
                        P.person_kind == kind,
                        *(_same(getattr(P, n), v) for n, v in zip(_GROUP_COLUMNS, values, strict=True)),
                    )
                )
                selects.append([_same(k, v) for k, v in zip(keys, values, strict=True)])
        for where in selects:
            counted = sa.select(sa.literal(kind), *keys, sa.func.count()).where(*where).group_by(*keys)
            db.session.execute(sa.insert(P).from_select(["person_kind", *_GROUP_COLUMNS, "people"], counted))


def _same(column: sa.ColumnElement, value: Any) -> sa.ColumnElement[bool]:
    return column.is_(None) if value is None else column == value


def _changed(state: Any, names: Iterable[str]) -> bool:
    return any(state.attrs[name].history.has_changes() for name in names)


@event.listens_for(Session, "before_flush")
def _people_changed(session: Session, _context: Any, _instances: Any) -> None:
    """Note the helpers and older people who move or whose organization or status changes
    in this flush (with where they lived before), whoever changed them: at the commit their
    check-in days, an older person's errands and requests, and the scope on their stage
    changes are redone; and the groups they leave and join are counted again."""
    _note_counted(session)
    for obj in session.dirty:
        if not isinstance(obj, HelperProfile | Elder):
            continue
        state = sa.inspect(obj)
        former: set[int | None] = set()
        for name in ("municipality_id", "municipality"):
            history = state.attrs[name].history
            if history.has_changes():
                olds = [getattr(v, "id", v) for v in history.deleted]
                former.update(olds if olds else [EVERY_MUNICIPALITY])  # not loaded: wherever it was
        kind = "helper" if isinstance(obj, HelperProfile) else "elder"
        scope_changed = bool(former) or _changed(state, _SCOPE_ATTRIBUTES)
        if scope_changed:
            session.info.setdefault(_CHECKIN_PEOPLE, {}).setdefault((kind, obj.id), set()).update(former)
            rescoped = session.info.setdefault(_RESCOPED, (set(), set()))
            rescoped[0 if kind == "helper" else 1].add(obj.id)
        if kind == "elder" and (former or _changed(state, _VILLAGE_ATTRIBUTES)):
            session.info.setdefault(_MOVED_ELDERS, {}).setdefault(obj.id, set()).update(former)


def _checkin_buckets(people: dict[tuple[str, int], set[int | None]]) -> set[Bucket]:
    """Every (day, municipality) of these people's check-ins, where they live now and
    where they lived before: one statement per kind."""
    buckets: set[Bucket] = set()
    for kind, model, column in (("helper", HelperProfile, CheckIn.helper_id), ("elder", Elder, CheckIn.elder_id)):
        ids = {pid for (k, pid) in people if k == kind}
        if not ids:
            continue
        rows = db.session.execute(
            sa.select(column, CheckIn.taken_at, model.municipality_id)
            .join(model, model.id == column)
            .where(CheckIn.subject_kind == kind, column.in_(sorted(ids)))
        )
        for person_id, taken_at, municipality_id in rows:
            day = local_day(taken_at)
            for where in {municipality_id} | people[(kind, person_id)]:
                buckets.add((day, where))
    return buckets


def _rebuild_checkins(buckets: set[Bucket]) -> None:
    by_day: dict[date, set[int | None]] = {}
    for day, municipality_id in buckets:
        by_day.setdefault(day, set()).add(municipality_id)
    for day in sorted(by_day):
        munis = by_day[day]
        for rebuilder in _CHECKIN_REBUILDERS:
            rebuilder(day, day, None if EVERY_MUNICIPALITY in munis else munis)


def _moved_elder_buckets(moved: dict[int, set[int | None]]) -> set[Bucket]:
    """Older people who moved: the days of their errands and requests, where they live now
    and where they lived before (an errand counts where its older person lives)."""
    ids = sorted(moved)
    buckets: set[Bucket] = set()
    for elder_id, moment, municipality_id in db.session.execute(
        sa.union_all(
            sa.select(Errand.elder_id, Errand.starts_at, Elder.municipality_id)
            .join(Elder, Elder.id == Errand.elder_id)
            .where(Errand.elder_id.in_(ids)),
            sa.select(HelpRequest.elder_id, HelpRequest.created_at, Elder.municipality_id)
            .join(Elder, Elder.id == HelpRequest.elder_id)
            .where(HelpRequest.elder_id.in_(ids)),
        )
    ):
        for where in {municipality_id} | moved[elder_id]:
            buckets.add((local_day(_aware(moment)), where))
    return buckets


def _note_people(session: Session, encounter: Encounter) -> None:
    helpers = {p.helper_id for p in encounter.participants if p.helper_id is not None}
    elders = {p.elder_id for p in encounter.participants if p.elder_id is not None}
    people = session.info.setdefault(_PEOPLE, (set(), set(), set()))
    people[0].update(helpers)
    people[1].update(elders)
    people[2].update((h, e) for h in helpers for e in elders)


def _buckets_of(obj: Any) -> set[Bucket]:
    if isinstance(obj, Assignment):
        obj = obj.errand
    if isinstance(obj, EncounterParticipant):
        obj = obj.encounter
    if isinstance(obj, Errand | HelpRequest):
        moment = obj.starts_at if isinstance(obj, Errand) else obj.created_at
        return {(local_day(moment), obj.elder.municipality_id)}
    if isinstance(obj, Encounter):
        return {(local_day(obj.occurred_at), obj.municipality_id)}
    return set()


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    """Rebuild what the transaction touched, inside it (so the rollups commit with the change)."""
    session.flush()  # first: the flush notes the people whose scope changed
    touched = session.info.pop(_TOUCHED, [])
    buckets: set[Bucket] = session.info.pop(_BUCKETS, set())
    checkin_people = session.info.pop(_CHECKIN_PEOPLE, {})
    checkin_buckets: set[Bucket] = session.info.pop(_CHECKIN_BUCKETS, set())
    rescoped = session.info.pop(_RESCOPED, None)
    moved = session.info.pop(_MOVED_ELDERS, None)
    counted: set = session.info.pop(_COUNTED, set())
    for kind, person in session.info.pop(_COUNTED_PEOPLE, set()):
        if not sa.inspect(person).was_deleted:
            counted.add((kind, *(getattr(person, name) for name in _GROUP_COLUMNS)))
    if counted:
        recount_people(counted)
    if moved:
        buckets |= _moved_elder_buckets(moved)
    if checkin_people:
        checkin_buckets |= _checkin_buckets(checkin_people)
    if checkin_buckets:
        _rebuild_checkins(checkin_buckets)
    if rescoped is not None:
        for refresher in _SCOPE_REFRESHERS:
            refresher(*rescoped)
    if not touched and not buckets:
        if checkin_buckets or rescoped is not None or counted:
            session.flush()
        return
    for obj in touched:
        if obj in session.deleted or sa.inspect(obj).was_deleted:
            continue
        buckets |= _buckets_of(obj)
        if isinstance(obj, EncounterParticipant):
            obj = obj.encounter
        if isinstance(obj, Encounter):
            _note_people(session, obj)
    people = session.info.pop(_PEOPLE, None)
    rebuild_buckets(buckets)
    if people is not None:
        for refresher in _REFRESHERS:
            refresher(*people)
    session.flush()
