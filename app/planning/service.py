"""The week plan from the database: build the instance, solve, keep the draft, send the offers.

* **Errands**: the organization's errands of the week (Monday to Sunday,
  Helsinki time) that still need helpers (:func:`app.errands.actions.needs_helpers`)
  and have not started.
* **Candidates**: for each errand the product's own candidate search and
  explained score (:func:`app.errands.matching_service.rank_candidates`, with
  :mod:`app.policy`'s network rule and the score's hard rules), then the
  availability rules (:mod:`app.matching.availability`: weekly availability,
  the helper's exceptions, minors' school hours from the SCHOOL_CALENDAR
  calendar of their municipality) into the planner's options
  (:func:`app.planning.instance.options_for`).
* **Caps**: each helper's own weekly caps (errands, hours), a minor's at most
  MINOR_WEEKLY_ERRANDS errands, less what they already do that week.
* **Solve**: :func:`app.planning.solver.solve` for WEEK_PLAN_SECONDS, locked
  lines kept, beside :func:`app.planning.solver.best_first` on the same
  instance; the draft (:class:`app.models.WeekPlan`) keeps the lines, their
  reasons and both plans' figures.
* **Send**: every planned helper's errands are offered through the same
  :func:`app.errands.lifecycle.offer_errand` as single offers (the errand row
  locked, the same rules), with one SMS per helper listing them.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload, selectinload

from app.errands import lifecycle
from app.errands.actions import needs_helpers
from app.errands.matching_service import rank_candidates
from app.extensions import db
from app.i18n import local_midnight
from app.matching.availability import HelperWeek, load_calendar
from app.matching.score import Ranked
from app.models import (
    Assignment,
    AvailabilityException,
    Elder,
    Errand,
    HelperProfile,
    Municipality,
    User,
    WeekPlan,
    WeekPlanLine,
    minor_on,
    utcnow,
)
from app.planning import solver, texts
from app.planning.instance import exclusion_counts, options_for

#: The candidates read per errand (the planner keeps the best of those who may come).
CANDIDATES_PER_ERRAND = 40
#: The candidates a coordinator may change a line to.
CHOICES_PER_LINE = 8


def monday_of(day: date) -> date:
    return day - timedelta(days=day.weekday())


def week_window(week_start: date) -> tuple[datetime, datetime]:
    return local_midnight(week_start), local_midnight(week_start + timedelta(days=7))


def week_errands(organization_id: int, week_start: date, now: datetime) -> list[Errand]:
    """The organization's errands of the week that still need helpers, by start."""
    start, end = week_window(week_start)
    errands = db.session.scalars(
        sa.select(Errand)
        .where(
            Errand.organization_id == organization_id,
            Errand.starts_at >= max(start, now),
            Errand.starts_at < end,
            Errand.state.in_(("open", "offered", "assigned")),
        )
        .options(
            selectinload(Errand.assignments),
            joinedload(Errand.elder).joinedload(Elder.village),
            joinedload(Errand.task_type),
            joinedload(Errand.request),
        )
        .order_by(Errand.starts_at, Errand.id)
    )
    return [e for e in errands if needs_helpers(e, now)]


def helper_weeks(helper_ids: set[int], week_start: date) -> tuple[dict[int, HelperWeek], dict[int, solver.PlanHelper]]:
    """Each helper's availability rules and caps for the week (three statements)."""
    if not helper_ids:
        return {}, {}
    ids = sorted(helper_ids)
    week_end = week_start + timedelta(days=6)
    rows = db.session.execute(
        sa.select(HelperProfile, Municipality.name)
        .outerjoin(Municipality, Municipality.id == HelperProfile.municipality_id)
        .where(HelperProfile.id.in_(ids))
    ).all()
    exceptions: dict[int, list[tuple[date, date]]] = defaultdict(list)
    for ex in db.session.scalars(
        sa.select(AvailabilityException).where(
            AvailabilityException.helper_id.in_(ids),
            AvailabilityException.first_day <= week_end,
            AvailabilityException.last_day >= week_start,
        )
    ):
        exceptions[ex.helper_id].append((ex.first_day, ex.last_day))
    start, end = week_window(week_start)
    done: dict[int, tuple[int, float]] = {}
    for helper_id, count, minutes in db.session.execute(
        sa.select(Assignment.helper_id, sa.func.count(), sa.func.sum(Errand.duration_minutes))
        .join(Errand, Errand.id == Assignment.errand_id)
        .where(
            Assignment.helper_id.in_(ids),
            Assignment.status.in_(("active", "done")),
            Errand.starts_at >= start,
            Errand.starts_at < end,
        )
        .group_by(Assignment.helper_id)
    ):
        done[helper_id] = (int(count), float(minutes or 0))
    calendar_name = current_app.config["SCHOOL_CALENDAR"]
    minor_cap = current_app.config["MINOR_WEEKLY_ERRANDS"]
    calendars: dict[str | None, object] = {}
    weeks: dict[int, HelperWeek] = {}
    helpers: dict[int, solver.PlanHelper] = {}
    for profile, municipality in rows:
        minor = minor_on(profile.birth_date, week_start)
        if minor and municipality not in calendars:
            calendars[municipality] = load_calendar(calendar_name, week_start, municipality)
        weeks[profile.id] = HelperWeek(
            availability=frozenset(tuple(s) for s in profile.availability or () if isinstance(s, list) and len(s) == 2),
            exceptions=tuple(exceptions.get(profile.id, ())),
            is_minor=minor,
            school=calendars.get(municipality) if minor else None,  # type: ignore[arg-type]
        )
        cap = profile.max_errands_week
        if minor:
            cap = min(cap, minor_cap) if cap is not None else minor_cap
        count, minutes = done.get(profile.id, (0, 0.0))
        hours = profile.max_hours_week
        helpers[profile.id] = solver.PlanHelper(
            profile.id,
            profile.transport,
            max_errands=None if cap is None else max(cap - count, 0),
            max_minutes=None if hours is None else max(int(hours * 60 - minutes), 0),
        )
    return weeks, helpers


@dataclass
class WeekInput:
    instance: solver.Instance
    errands: dict[int, Errand]
    ranked: dict[int, dict[int, Ranked]]
    names: dict[int, str]
    #: errand id -> how many candidates each rule left out (the score's hard rules and availability).
    left_out: dict[int, Counter]


def build(organization_id: int, week_start: date, locks: dict[int, tuple[int, ...]], now: datetime) -> WeekInput:
    """The week as the planner's instance (one candidate search per errand)."""
    errands = week_errands(organization_id, week_start, now)
    lists = {e.id: rank_candidates(e, limit=CANDIDATES_PER_ERRAND, now=now) for e in errands}
    ids = {r.helper_id for c in lists.values() for r in c.ranked}
    weeks, helpers = helper_weeks(ids, week_start)
    plan_errands: list[solver.PlanErrand] = []
    names: dict[int, str] = {}
    left_out: dict[int, Counter] = {}
    for order, errand in enumerate(sorted(errands, key=lambda e: (e.request.created_at, e.starts_at, e.id))):
        found = lists[errand.id]
        names.update({p.helper_id: p.name for p in found.people.values()})
        options, skipped = options_for(errand.starts_at, errand.ends_at, found.ranked, weeks)
        left_out[errand.id] = skipped + exclusion_counts(found.excluded)
        active = sum(1 for a in errand.assignments if a.status == "active")
        elder = errand.elder
        plan_errands.append(
            solver.PlanErrand(
                errand.id,
                errand.starts_at,
                errand.ends_at,
                options,
                elder.lat,
                elder.lon,
                max(errand.helpers_needed - active, 1),
                order,
            )
        )
    return WeekInput(
        solver.Instance(tuple(plan_errands), tuple(helpers.values()), locks),
        {e.id: e for e in errands},
        {e: {r.helper_id: r for r in c.ranked} for e, c in lists.items()},
        names,
        left_out,
    )


def _why(code: str, left_out: Counter) -> str:
    """Why an errand is not covered, in the page's words: no one available, too far, caps, taken."""
    if code != solver.NO_ONE_AVAILABLE:
        return code
    if left_out and left_out.most_common(1)[0][0] == "too_far":
        return "too_far"
    return code


def solve_week(organization_id: int, week_start: date, *, by_user: User, now: datetime | None = None) -> WeekPlan:
    """Solve (or solve again, keeping the locked lines) the organization's week; flushes."""
    now = now or utcnow()
    plan = db.session.scalar(
        sa.select(WeekPlan).where(WeekPlan.organization_id == organization_id, WeekPlan.week_start == week_start)
    )
    locks: dict[int, tuple[int, ...]] = {}
    if plan is not None:
        kept: dict[int, list[int]] = defaultdict(list)
        for line in plan.lines:
            if line.locked and line.helper_id is not None:
                kept[line.errand_id].append(line.helper_id)
        locks = {e: tuple(hs) for e, hs in kept.items()}
    else:
        plan = WeekPlan(organization_id=organization_id, week_start=week_start)
        db.session.add(plan)
    week = build(organization_id, week_start, locks, now)
    greedy = solver.best_first(week.instance)
    best = solver.solve(week.instance, seconds=current_app.config["WEEK_PLAN_SECONDS"], start=greedy)
    plan.created_by_id = by_user.id
    plan.solved_at = now
    plan.sent_at = None
    plan.solver_status = best.status[:40]
    plan.gap = best.gap if math.isfinite(best.gap) else None
    plan.seconds = round(best.seconds, 2)
    plan.figures = {
        "plan": solver.figures(week.instance, best),
        "best_first": solver.figures(week.instance, greedy),
        "errands": len(week.instance.errands),
        "helpers": len(week.instance.helpers),
    }
    plan.lines.clear()
    db.session.flush()
    for e in week.instance.errands:
        ranked = week.ranked[e.id]
        choices = [[o.helper_id, week.names.get(o.helper_id, "?"), round(o.score)] for o in e.options]
        chosen = best.lines.get(e.id, ())
        for helper_id in chosen:
            r = ranked.get(helper_id)
            option = next(o for o in e.options if o.helper_id == helper_id)
            plan.lines.append(
                WeekPlanLine(
                    errand_id=e.id,
                    helper_id=helper_id,
                    locked=helper_id in locks.get(e.id, ()),
                    score=option.score,
                    km=round(option.km, 1),
                    regular=option.regular,
                    reasons=[[x.code, round(x.points, 1), x.as_dict()] for x in r.reasons] if r else [],
                    choices=choices[:CHOICES_PER_LINE],
                )
            )
        for _missing in range(e.helpers_needed - len(chosen)):
            plan.lines.append(
                WeekPlanLine(
                    errand_id=e.id,
                    helper_id=None,
                    why=_why(best.uncovered.get(e.id, solver.TAKEN), week.left_out.get(e.id, Counter())),
                    choices=choices[:CHOICES_PER_LINE],
                    reasons=[],
                )
            )
    db.session.flush()
    return plan


def change_line(plan: WeekPlan, line_id: int, helper_id: int | None, *, locked: bool) -> bool:
    """Lock (or unlock) a line, or give it another of its candidates (then it is locked). False: no such choice."""
    line = next((x for x in plan.lines if x.id == line_id), None)
    if line is None:
        return False
    if helper_id is not None and helper_id != line.helper_id:
        if helper_id not in {c[0] for c in line.choices}:
            return False
        if any(x.helper_id == helper_id and x.errand_id == line.errand_id for x in plan.lines):
            return False
        line.helper_id = helper_id
        line.why = None
        line.reasons = []
        line.score = next(c[2] for c in line.choices if c[0] == helper_id)
        locked = True
    line.locked = locked and line.helper_id is not None
    db.session.flush()
    return True


@dataclass(frozen=True)
class Sent:
    offers: int
    helpers: int
    refused: int  # lines whose errand no longer takes offers or whose helper may not be offered it


def send_offers(plan: WeekPlan, *, by_user: User) -> Sent:
    """Offer every planned line not offered yet, through the single-offer path
    (each errand locked, its rules checked), and one SMS per helper listing theirs; flushes."""
    now = utcnow()
    by_helper: dict[int, list[Errand]] = defaultdict(list)
    refused = 0
    for line in plan.lines:
        if line.helper_id is None or line.offered_at is not None:
            continue
        try:
            with db.session.begin_nested():
                errand = db.session.get(Errand, line.errand_id)
                made = lifecycle.offer_errand(
                    errand,
                    [line.helper_id],
                    by_user=by_user,
                    places={line.helper_id: (1, line.score or 0.0)},
                    notify=False,
                )
        except lifecycle.ErrandError:
            made = []
        if made:
            line.offered_at = now
            by_helper[line.helper_id].append(errand)
        else:
            refused += 1
    for helper_id, errands in by_helper.items():
        texts.queue_week_offer(
            db.session.get(HelperProfile, helper_id), errands, sent_by_id=by_user.id, plan_id=plan.id
        )
    plan.sent_at = now
    db.session.flush()
    return Sent(sum(len(e) for e in by_helper.values()), len(by_helper), refused)


def stored_plan(organization_id: int, week_start: date) -> WeekPlan | None:
    return db.session.scalar(
        sa.select(WeekPlan).where(WeekPlan.organization_id == organization_id, WeekPlan.week_start == week_start)
    )
