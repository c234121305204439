"""What the week plan page shows: the draft as a week grid, the reasons in words,
what it gains over best-first, and the errands it cannot cover with why."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

import sqlalchemy as sa
from flask_babel import format_decimal
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from app.errands.eligibility import spec_from_errand
from app.errands.reasons import explain
from app.extensions import db
from app.i18n import HELSINKI, current_language
from app.matching import score
from app.models import Elder, Errand, WeekPlan, WeekPlanLine
from app.planning import solver

#: Why a line has no helper, in the coordinator's words.
WHY = {
    solver.NO_ONE_AVAILABLE: _l("No one available: every candidate is busy, away or outside their availability"),
    "too_far": _l("Too far: no available helper travels that far"),
    solver.CAPS: _l("Caps: the helpers who could come have reached their weekly limit"),
    solver.TAKEN: _l("The helpers who could come are planned for other errands at that time"),
}

#: The figures compared with best-first, in order: (key, label, better when lower).
FIGURES = (
    ("covered", _l("Errands with a helper"), False),
    ("km", _l("Kilometres travelled in all"), True),
    ("continuity_%", _l("Regular helper kept (%)"), False),
    ("load_max_h", _l("Largest load of one helper (hours)"), True),
    ("load_gini", _l("Unevenness of the load (Gini, 0 = even)"), True),
)


@dataclass
class Row:
    line: WeekPlanLine
    errand: Errand
    reasons: list[str] = field(default_factory=list)


@dataclass
class PlanView:
    plan: WeekPlan | None
    days: list[tuple[date, list[Row]]] = field(default_factory=list)
    uncovered: list[Row] = field(default_factory=list)
    #: (label, the plan's figure, best first's, the plan is better)
    figures: list[tuple[str, str, str, bool]] = field(default_factory=list)
    unsent: int = 0
    seconds: str = ""
    gap: str | None = None  # the proven gap to the best possible plan, in per cent


def plan_view(organization_id: int, week_start: date) -> PlanView:
    plan = db.session.scalar(
        sa.select(WeekPlan)
        .where(WeekPlan.organization_id == organization_id, WeekPlan.week_start == week_start)
        .options(
            selectinload(WeekPlan.lines)
            .joinedload(WeekPlanLine.errand)
            .joinedload(Errand.elder)
            .joinedload(Elder.village),
            selectinload(WeekPlan.lines).joinedload(WeekPlanLine.errand).joinedload(Errand.task_type),
            selectinload(WeekPlan.lines).joinedload(WeekPlanLine.errand).joinedload(Errand.request),
            selectinload(WeekPlan.lines).joinedload(WeekPlanLine.helper),
        )
    )
    view = PlanView(plan)
    if plan is None:
        return view
    language = current_language()
    days: dict[date, list[Row]] = {}
    for line in sorted(plan.lines, key=lambda x: (x.errand.starts_at, x.errand_id, x.id)):
        errand = line.errand
        row = Row(line, errand)
        if line.reasons:
            spec = spec_from_errand(errand)
            task = errand.task_type.name(language)
            row.reasons = [
                explain(
                    score.Reason(code, points, tuple(params.items())),
                    person=errand.elder.first_name,
                    task=task,
                    spec=spec,
                )
                for code, points, params in line.reasons
                if code in ("preferred", "continuity", "distance", "task", "availability", "language")
            ]
        days.setdefault(errand.starts_at.astimezone(HELSINKI).date(), []).append(row)
        if line.helper_id is None:
            view.uncovered.append(row)
        elif line.offered_at is None:
            view.unsent += 1
    view.days = sorted(days.items())
    view.seconds = format_decimal(plan.seconds, "0.0")
    view.gap = format_decimal(plan.gap * 100, "0.##") if plan.gap is not None else None
    mine, greedy = plan.figures.get("plan", {}), plan.figures.get("best_first", {})
    for key, label, lower in FIGURES:
        a, b = mine.get(key, 0), greedy.get(key, 0)
        view.figures.append((str(label), format_decimal(a), format_decimal(b), a < b if lower else a > b))
    return view
