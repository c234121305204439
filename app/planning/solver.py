"""The week plan as an optimisation: pure (dataclasses in, a plan out), no Flask, no database.

An instance is the week's errands still needing helpers, each with its
**options**: the helpers who may take it (the score's hard rules, availability,
exceptions and minors' school hours already applied by the caller) with the
explained match score, the km and whether the helper is the person's regular
helper. :func:`solve` maximises, with HiGHS (a mixed-integer program):

    sum over chosen (errand, helper) of  COVER + score + CONTINUITY (regular helper) - KM_WEIGHT * km
    - LOAD_WEIGHT * (the largest load in hours)
    - sum over SPREAD_TIERS of weight * (each helper's hours beyond the threshold)

subject to: at most ``helpers_needed`` helpers per errand; no helper on two
errands that overlap or that they cannot travel between (the time between them
at least the distance at their way of moving's :data:`TRAVEL_KMH`); each
helper's weekly caps (errands and minutes); locked lines kept. ``COVER`` is
larger than anything else an errand can add, so covering an errand always
comes first. The run stops after ``seconds`` with the best plan found and the
proven gap to the optimum. It starts from :func:`best_first`, so the plan is
never worse than it.

:func:`best_first` is the product's one-at-a-time matching over the same
options: errands in request order, each given its best candidates by score
(ties: nearer, then lower id) among those still free.
"""

from __future__ import annotations

import math
import time as clock
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from app.matching.geo import haversine_km
from app.matching.score import HELSINKI

#: Speed (km/h) by the helper's way of moving, for the travel between two
#: errands (straight-line km times ROAD_FACTOR). Unknown ways count as walking.
TRAVEL_KMH: Mapping[str, float] = {"foot": 4.5, "bike": 14.0, "moped": 30.0, "car": 45.0}
ROAD_FACTOR = 1.3

COVER = 1000.0
CONTINUITY = 40.0
KM_WEIGHT = 0.5
LOAD_WEIGHT = 5.0
#: Spreading the work: each helper's hours beyond each threshold cost this much an hour (convex).
SPREAD_TIERS: tuple[tuple[float, float], ...] = ((3.0, 8.0), (6.0, 16.0), (10.0, 24.0))

#: The model keeps each errand's best options (by score) up to about this many
#: columns in all, at least MIN_OPTIONS per errand, plus the starting plan's choices.
MAX_COLUMNS = 25_000
MIN_OPTIONS = 8

#: Why an errand is not (fully) covered.
NO_ONE_AVAILABLE = "no_one_available"  # no option at all (every helper excluded or unavailable)
CAPS = "caps"  # options exist, but their helpers reached their weekly caps
TAKEN = "taken"  # options exist, but their helpers are planned elsewhere at that time


@dataclass(frozen=True, slots=True)
class Option:
    helper_id: int
    score: float
    km: float = 0.0
    regular: bool = False  # the person's regular helper (continuity)


@dataclass(frozen=True, slots=True)
class PlanErrand:
    id: int
    starts_at: datetime
    ends_at: datetime
    options: tuple[Option, ...]
    lat: float | None = None
    lon: float | None = None
    helpers_needed: int = 1
    order: int = 0  # request order (best-first goes through errands in this order)

    @property
    def minutes(self) -> float:
        return (self.ends_at - self.starts_at).total_seconds() / 60.0


@dataclass(frozen=True, slots=True)
class PlanHelper:
    id: int
    transport: str = "foot"
    max_errands: int | None = None
    max_minutes: int | None = None
    #: Hours already planned for them (by the earlier days of :func:`day_by_day`): the load terms count them.
    hours_before: float = 0.0


@dataclass(frozen=True)
class Instance:
    errands: tuple[PlanErrand, ...]
    helpers: tuple[PlanHelper, ...]
    #: Locked lines: errand id -> helpers the coordinator fixed (kept by every re-solve).
    locks: Mapping[int, tuple[int, ...]] = field(default_factory=dict)


@dataclass(frozen=True)
class Plan:
    #: errand id -> the helpers planned (empty tuple: none).
    lines: Mapping[int, tuple[int, ...]]
    objective: float
    #: Relative gap to the proven bound (0.0: proven optimal).
    gap: float
    seconds: float
    status: str
    #: errand id -> why it is not fully covered (NO_ONE_AVAILABLE, CAPS, TAKEN).
    uncovered: Mapping[int, str] = field(default_factory=dict)

    def pairs(self) -> set[tuple[int, int]]:
        return {(e, h) for e, hs in self.lines.items() for h in hs}


def travel_minutes(a: PlanErrand, b: PlanErrand, transport: str) -> float:
    """Minutes to get from errand ``a`` to ``b`` (0 when a place is unknown)."""
    if a.lat is None or a.lon is None or b.lat is None or b.lon is None:
        return 0.0
    km = haversine_km(a.lat, a.lon, b.lat, b.lon) * ROAD_FACTOR
    return km / TRAVEL_KMH.get(transport, TRAVEL_KMH["foot"]) * 60.0


def conflict(a: PlanErrand, b: PlanErrand, transport: str) -> bool:
    """One helper cannot do both: they overlap, or the gap is shorter than the travel."""
    first, second = (a, b) if a.starts_at <= b.starts_at else (b, a)
    gap = (second.starts_at - first.ends_at).total_seconds() / 60.0
    return gap < 0 or gap < travel_minutes(first, second, transport)


def value(errand: PlanErrand, option: Option) -> float:
    """What planning this option adds to the objective (before the load terms)."""
    return COVER + option.score + (CONTINUITY if option.regular else 0.0) - KM_WEIGHT * option.km


# --------------------------------------------------------------------------
# Best first (the product's one-at-a-time matching)
# --------------------------------------------------------------------------


def _fits(
    errand: PlanErrand,
    helper: PlanHelper,
    planned: list[PlanErrand],
) -> bool:
    if helper.max_errands is not None and len(planned) >= helper.max_errands:
        return False
    if helper.max_minutes is not None and sum(p.minutes for p in planned) + errand.minutes > helper.max_minutes:
        return False
    return not any(conflict(errand, p, helper.transport) for p in planned)


def _ranked(errand: PlanErrand) -> list[Option]:
    return sorted(errand.options, key=lambda o: (-o.score, o.km, o.helper_id))


def best_first(instance: Instance) -> Plan:
    """Errands in request order, each to its best free candidates (locks first)."""
    started = clock.perf_counter()
    helpers = {h.id: h for h in instance.helpers}
    planned: dict[int, list[PlanErrand]] = defaultdict(list)
    lines: dict[int, list[int]] = {e.id: [] for e in instance.errands}
    by_id = {e.id: e for e in instance.errands}
    for errand_id, locked in instance.locks.items():
        for h in locked:
            if errand_id in by_id and h in helpers:
                lines[errand_id].append(h)
                planned[h].append(by_id[errand_id])
    for errand in sorted(instance.errands, key=lambda e: (e.order, e.starts_at, e.id)):
        for option in _ranked(errand):
            if len(lines[errand.id]) >= errand.helpers_needed:
                break
            helper = helpers.get(option.helper_id)
            if helper is None or option.helper_id in lines[errand.id]:
                continue
            if _fits(errand, helper, planned[helper.id]):
                lines[errand.id].append(helper.id)
                planned[helper.id].append(errand)
    result = {e: tuple(hs) for e, hs in lines.items()}
    objective = _objective(instance, result)
    return Plan(
        result,
        objective,
        gap=math.nan,
        seconds=clock.perf_counter() - started,
        status="best_first",
        uncovered=_uncovered(instance, result),
    )


# --------------------------------------------------------------------------
# The optimal plan
# --------------------------------------------------------------------------


def _objective(instance: Instance, lines: Mapping[int, tuple[int, ...]]) -> float:
    """The objective :func:`solve` maximises, for any plan (to compare plans)."""
    total = 0.0
    hours: dict[int, float] = defaultdict(float, {h.id: h.hours_before for h in instance.helpers if h.hours_before})
    for errand in instance.errands:
        chosen = set(lines.get(errand.id, ()))
        for option in errand.options:
            if option.helper_id in chosen:
                total += value(errand, option)
                hours[option.helper_id] += errand.minutes / 60.0
    total -= LOAD_WEIGHT * max(hours.values(), default=0.0)
    for threshold, weight in SPREAD_TIERS:
        total -= weight * sum(max(0.0, h - threshold) for h in hours.values())
    return total


def _conflict_rows(errands: list[PlanErrand], transport: str) -> list[list[int]]:
    """Sets of (indices of) errands of which one helper can take at most one:
    the errands running at each errand's start (one row per distinct set, an
    overlap clique) and each pair that only travel separates."""
    order = sorted(range(len(errands)), key=lambda i: errands[i].starts_at)
    rows: list[list[int]] = []
    seen: set[tuple[int, ...]] = set()
    for k, i in enumerate(order):
        start = errands[i].starts_at
        clique = [j for j in order[: k + 1] if errands[j].ends_at > start]
        if len(clique) > 1:
            key = tuple(sorted(clique))
            if key not in seen:
                seen.add(key)
                rows.append(list(key))
        # Pairs that do not overlap but are too close in time for the travel.
        for j in order[k + 1 :]:
            b = errands[j]
            if b.starts_at < errands[i].ends_at:
                continue  # overlaps: covered by b's clique
            if (b.starts_at - errands[i].ends_at).total_seconds() > 3 * 3600:
                break
            if conflict(errands[i], b, transport):
                rows.append([i, j])
    return rows


#: Above this many errands the week is first planned day by day (each day optimal
#: with the caps the earlier days left), and that plan starts the whole week's model.
DAY_BY_DAY_ABOVE = 500


def day_by_day(instance: Instance, *, seconds: float) -> Plan:
    """Each local day solved alone, in order, each helper's caps reduced by the days
    before: fast on a large week, and at least as good as best first day by day."""
    started = clock.perf_counter()
    days: dict[object, list[PlanErrand]] = defaultdict(list)
    for errand in instance.errands:
        days[errand.starts_at.astimezone(HELSINKI).date()].append(errand)
    used: dict[int, tuple[int, float]] = defaultdict(lambda: (0, 0.0))
    lines: dict[int, tuple[int, ...]] = {}
    for k, day in enumerate(sorted(days)):
        helpers = []
        for h in instance.helpers:
            n, m = used[h.id]
            helpers.append(
                PlanHelper(
                    h.id,
                    h.transport,
                    None if h.max_errands is None else max(h.max_errands - n, 0),
                    None if h.max_minutes is None else max(int(h.max_minutes - m), 0),
                    h.hours_before + m / 60.0,
                )
            )
        ids = {e.id for e in days[day]}
        sub = Instance(tuple(days[day]), tuple(helpers), {e: hs for e, hs in instance.locks.items() if e in ids})
        left = seconds - (clock.perf_counter() - started)
        plan = solve(sub, seconds=max(left / (len(days) - k), 0.05))
        for e in days[day]:
            lines[e.id] = plan.lines.get(e.id, ())
            for h in lines[e.id]:
                n, m = used[h]
                used[h] = (n + 1, m + e.minutes)
    return Plan(lines, _objective(instance, lines), math.nan, clock.perf_counter() - started, "day_by_day")


def solve(instance: Instance, *, seconds: float = 5.0, start: Plan | None = None) -> Plan:
    """The best plan found within ``seconds`` (see the module docstring).

    A large week keeps each errand's best ``MAX_COLUMNS / errands`` options (at
    least :data:`MIN_OPTIONS`) and those of the starting plan, so the start is
    always a plan of the model. The start is the better of ``start`` (best first
    by default) and, above :data:`DAY_BY_DAY_ABOVE` errands, :func:`day_by_day`
    in 60 % of the time."""
    # Imported here, not with the module: the web workers load this module with the week
    # plan's pages but solve only when asked (numpy and HiGHS: ~22 MB a process, README).
    import highspy
    import numpy as np

    started = clock.perf_counter()
    helpers = {h.id: h for h in instance.helpers}
    start = start or best_first(instance)
    for other in (_scarce_first(instance),):
        if other.objective > start.objective:
            start = other
    repaired = _repair(instance, start)
    if repaired.objective > start.objective:
        start = repaired
    if len(instance.errands) > DAY_BY_DAY_ABOVE:
        daily = day_by_day(instance, seconds=seconds * 0.6)
        if daily.objective > start.objective:
            start = daily
    chosen = start.pairs() | {(e, h) for e, hs in instance.locks.items() for h in hs}
    keep = max(MIN_OPTIONS, MAX_COLUMNS // max(len(instance.errands), 1))
    cols: list[tuple[PlanErrand, Option]] = []
    for errand in instance.errands:
        for k, option in enumerate(_ranked(errand)):
            if option.helper_id in helpers and (k < keep or (errand.id, option.helper_id) in chosen):
                cols.append((errand, option))
    n = len(cols)
    if n == 0:
        empty = {e.id: () for e in instance.errands}
        return Plan(empty, 0.0, 0.0, clock.perf_counter() - started, "optimal", _uncovered(instance, empty))
    load_col = n  # the largest load in hours
    by_helper: dict[int, list[int]] = defaultdict(list)
    by_errand: dict[int, list[int]] = defaultdict(list)
    for c, (errand, option) in enumerate(cols):
        by_helper[option.helper_id].append(c)
        by_errand[errand.id].append(c)
    tiers = len(SPREAD_TIERS)
    spread_cols = {(h, t): n + 1 + k * tiers + t for k, h in enumerate(sorted(by_helper)) for t in range(tiers)}
    num_cols = n + 1 + len(spread_cols)

    cost = np.zeros(num_cols)
    lower = np.zeros(num_cols)
    upper = np.ones(num_cols)
    for c, (errand, option) in enumerate(cols):
        cost[c] = value(errand, option)
    cost[load_col] = -LOAD_WEIGHT
    upper[load_col] = highspy.kHighsInf
    for (_, t), c in spread_cols.items():
        cost[c] = -SPREAD_TIERS[t][1]
        upper[c] = highspy.kHighsInf
    locked = {(e, h) for e, hs in instance.locks.items() for h in hs}
    for c, (errand, option) in enumerate(cols):
        if (errand.id, option.helper_id) in locked:
            lower[c] = 1.0

    rows_lo: list[float] = []
    rows_hi: list[float] = []
    starts: list[int] = []
    index: list[int] = []
    values: list[float] = []

    def add_row(cs: Iterable[int], coefs: Iterable[float], lo: float, hi: float) -> None:
        starts.append(len(index))
        index.extend(cs)
        values.extend(coefs)
        rows_lo.append(lo)
        rows_hi.append(hi)

    inf = highspy.kHighsInf
    for errand in instance.errands:
        cs = by_errand.get(errand.id, [])
        if len(cs) > errand.helpers_needed:
            add_row(cs, [1.0] * len(cs), -inf, float(errand.helpers_needed))
    for helper_id, cs in by_helper.items():
        helper = helpers[helper_id]
        minutes = [cols[c][0].minutes for c in cs]
        hours = [m / 60.0 for m in minutes]
        # load: sum(hours) - L <= 0; spread: sum(hours) - s_t <= threshold_t
        add_row([*cs, load_col], [*hours, -1.0], -inf, -helper.hours_before)
        for t, (threshold, _) in enumerate(SPREAD_TIERS):
            add_row([*cs, spread_cols[helper_id, t]], [*hours, -1.0], -inf, threshold - helper.hours_before)
        if helper.max_errands is not None and len(cs) > helper.max_errands:
            add_row(cs, [1.0] * len(cs), -inf, float(helper.max_errands))
        if helper.max_minutes is not None and sum(minutes) > helper.max_minutes:
            add_row(cs, minutes, -inf, float(helper.max_minutes))
        mine = [cols[c][0] for c in cs]
        for row in _conflict_rows(mine, helper.transport):
            add_row([cs[i] for i in row], [1.0] * len(row), -inf, 1.0)

    h = highspy.Highs()
    h.silent()
    h.setOptionValue("mip_rel_gap", 1e-4)
    h.setOptionValue("threads", 1)
    h.setOptionValue("random_seed", 1)
    h.addVars(num_cols, lower, upper)
    h.changeColsCost(num_cols, np.arange(num_cols, dtype=np.int32), cost)
    if starts:
        h.addRows(
            len(starts),
            np.array(rows_lo),
            np.array(rows_hi),
            len(index),
            np.array(starts, dtype=np.int32),
            np.array(index, dtype=np.int32),
            np.array(values),
        )
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)

    def left() -> float:
        return max(seconds - (clock.perf_counter() - started), 0.05)

    # 1. The linear relaxation: a proven bound, and (rounded) a good plan fast; on this
    #    assignment-like model it is nearly integral.
    bound = math.inf
    h.setOptionValue("time_limit", left())
    h.run()
    if h.getModelStatus() == highspy.HighsModelStatus.kOptimal:
        bound = h.getInfo().objective_function_value
        rounded = _repair(instance, _rounded(instance, cols, h.getSolution().col_value))
        if rounded.objective > start.objective:
            start = rounded
    # 2. The mixed-integer program from the better start, for the time left.
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.full(n, highspy.HighsVarType.kInteger, dtype=np.uint8))
    chosen = start.pairs()
    warm = np.zeros(num_cols)
    for c, (errand, option) in enumerate(cols):
        warm[c] = 1.0 if (errand.id, option.helper_id) in chosen else 0.0
    h.setSolution(num_cols, np.arange(num_cols, dtype=np.int32), warm)
    h.setOptionValue("time_limit", left())
    h.run()
    status = h.modelStatusToString(h.getModelStatus())
    info = h.getInfo()
    solution = h.getSolution()
    result = start.lines
    if info.primal_solution_status >= 2 and solution.value_valid:
        x = solution.col_value
        lines: dict[int, list[int]] = {e.id: [] for e in instance.errands}
        for c, (errand, option) in enumerate(cols):
            if x[c] > 0.5:
                lines[errand.id].append(option.helper_id)
        found = {e: tuple(sorted(hs)) for e, hs in lines.items()}
        if _objective(instance, found) >= start.objective:
            result = found
    objective = _objective(instance, result)
    if math.isfinite(info.mip_dual_bound) and info.mip_dual_bound > -highspy.kHighsInf:
        bound = min(bound, info.mip_dual_bound)
    bound = min(bound, _simple_bound(instance))
    gap = max(0.0, (bound - objective) / max(abs(objective), 1.0)) if math.isfinite(bound) else math.inf
    return Plan(
        result,
        objective,
        gap=gap,
        seconds=clock.perf_counter() - started,
        status=status,
        uncovered=_uncovered(instance, result),
    )


def _simple_bound(instance: Instance) -> float:
    """A bound no plan can beat: every errand with its best options, nothing in the way (loads cost nothing)."""
    return sum(
        sum(sorted((value(e, o) for o in e.options), reverse=True)[: e.helpers_needed]) for e in instance.errands
    )


def _rounded(instance: Instance, cols: list[tuple[PlanErrand, Option]], x) -> Plan:
    """The linear relaxation's solution made a plan: locked lines first, then the
    (errand, helper) pairs by their relaxed value, largest first, each kept when it fits."""
    started = clock.perf_counter()
    helpers = {h.id: h for h in instance.helpers}
    lines: dict[int, list[int]] = {e.id: [] for e in instance.errands}
    planned: dict[int, list[PlanErrand]] = defaultdict(list)
    locked = {(e, h) for e, hs in instance.locks.items() for h in hs}
    order = sorted(
        range(len(cols)),
        key=lambda c: ((cols[c][0].id, cols[c][1].helper_id) not in locked, -x[c], -value(*cols[c])),
    )
    for c in order:
        errand, option = cols[c]
        if x[c] < 1e-6 and (errand.id, option.helper_id) not in locked:
            continue
        chosen = lines[errand.id]
        if len(chosen) >= errand.helpers_needed or option.helper_id in chosen:
            continue
        if _fits(errand, helpers[option.helper_id], planned[option.helper_id]):
            chosen.append(option.helper_id)
            planned[option.helper_id].append(errand)
    result = {e: tuple(sorted(hs)) for e, hs in lines.items()}
    return Plan(result, _objective(instance, result), math.nan, clock.perf_counter() - started, "rounded")


def _spread_cost(hours: float, more: float) -> float:
    """What adding ``more`` hours to a helper with ``hours`` costs in the spread terms."""
    return sum(w * (max(0.0, hours + more - t) - max(0.0, hours - t)) for t, w in SPREAD_TIERS)


def _scarce_first(instance: Instance) -> Plan:
    """A greedy plan: the errands with the fewest candidates first (they have the least
    choice), each to the free candidate who adds the most to the objective, the growing
    loads counted (so it spreads the work as it goes)."""
    started = clock.perf_counter()
    helpers = {h.id: h for h in instance.helpers}
    by_id = {e.id: e for e in instance.errands}
    lines: dict[int, list[int]] = {e.id: [] for e in instance.errands}
    planned: dict[int, list[PlanErrand]] = defaultdict(list)
    hours: dict[int, float] = defaultdict(float, {h.id: h.hours_before for h in instance.helpers})
    for errand_id, locked in instance.locks.items():
        for h in locked:
            if errand_id in by_id and h in helpers:
                lines[errand_id].append(h)
                planned[h].append(by_id[errand_id])
                hours[h] += by_id[errand_id].minutes / 60.0
    top = max(hours.values(), default=0.0)
    for errand in sorted(instance.errands, key=lambda e: (len(e.options), e.starts_at, e.id)):
        more = errand.minutes / 60.0
        while len(lines[errand.id]) < errand.helpers_needed:
            best: tuple[float, int] | None = None
            for option in errand.options:
                h = helpers.get(option.helper_id)
                if h is None or h.id in lines[errand.id] or not _fits(errand, h, planned[h.id]):
                    continue
                gain = value(errand, option) - _spread_cost(hours[h.id], more)
                gain -= LOAD_WEIGHT * max(0.0, hours[h.id] + more - top)
                if best is None or gain > best[0]:
                    best = (gain, h.id)
            if best is None:
                break
            lines[errand.id].append(best[1])
            planned[best[1]].append(errand)
            hours[best[1]] += more
            top = max(top, hours[best[1]])
    result = {e: tuple(sorted(hs)) for e, hs in lines.items()}
    return Plan(result, _objective(instance, result), math.nan, clock.perf_counter() - started, "scarce_first")


def _repair(instance: Instance, plan: Plan) -> Plan:
    """Cover what a plan left uncovered by moving one planned errand to another free
    helper: for an uncovered errand, a candidate blocked by one errand of theirs takes the
    uncovered one when that errand can go to someone else (one round, in errand order)."""
    started = clock.perf_counter()
    helpers = {h.id: h for h in instance.helpers}
    by_id = {e.id: e for e in instance.errands}
    lines = {e: list(hs) for e, hs in plan.lines.items()}
    planned: dict[int, list[PlanErrand]] = defaultdict(list)
    for e, hs in lines.items():
        for h in hs:
            planned[h].append(by_id[e])
    locked = {(e, h) for e, hs in instance.locks.items() for h in hs}
    for errand in instance.errands:
        for option in _ranked(errand):
            if len(lines[errand.id]) >= errand.helpers_needed:
                break
            h = helpers.get(option.helper_id)
            if h is None or h.id in lines[errand.id]:
                continue
            if _fits(errand, h, planned[h.id]):
                lines[errand.id].append(h.id)
                planned[h.id].append(errand)
                continue
            blocking = [p for p in planned[h.id] if conflict(errand, p, h.transport)]
            if len(blocking) != 1 or (blocking[0].id, h.id) in locked:
                continue
            other = blocking[0]
            rest = [p for p in planned[h.id] if p.id != other.id]
            if not _fits(errand, h, rest):
                continue
            for alt in _ranked(other):
                g = helpers.get(alt.helper_id)
                if g is None or g.id == h.id or g.id in lines[other.id] or not _fits(other, g, planned[g.id]):
                    continue
                lines[other.id].remove(h.id)
                lines[other.id].append(g.id)
                planned[g.id].append(other)
                planned[h.id] = [*rest, errand]
                lines[errand.id].append(h.id)
                break
    result = {e: tuple(sorted(hs)) for e, hs in lines.items()}
    return Plan(result, _objective(instance, result), math.nan, clock.perf_counter() - started, "repaired")


def _uncovered(instance: Instance, lines: Mapping[int, tuple[int, ...]]) -> dict[int, str]:
    """Why each errand with fewer helpers than it needs is short of them."""
    helpers = {h.id: h for h in instance.helpers}
    count: dict[int, int] = defaultdict(int)
    minutes: dict[int, float] = defaultdict(float)
    by_id = {e.id: e for e in instance.errands}
    for errand_id, hs in lines.items():
        for h in hs:
            count[h] += 1
            minutes[h] += by_id[errand_id].minutes
    out: dict[int, str] = {}
    for errand in instance.errands:
        if len(lines.get(errand.id, ())) >= errand.helpers_needed:
            continue
        others = [o for o in errand.options if o.helper_id in helpers and o.helper_id not in lines.get(errand.id, ())]
        if not others:
            out[errand.id] = NO_ONE_AVAILABLE
            continue

        capped = [
            (h.max_errands is not None and count[h.id] >= h.max_errands)
            or (h.max_minutes is not None and minutes[h.id] + errand.minutes > h.max_minutes)
            for h in (helpers[o.helper_id] for o in others)
        ]
        out[errand.id] = CAPS if all(capped) else TAKEN
    return out


# --------------------------------------------------------------------------
# What a plan reaches (the review page and the benchmark compare plans by these)
# --------------------------------------------------------------------------


def gini(values: Iterable[float]) -> float:
    """Gini coefficient of the helpers' loads (0: everyone the same)."""
    xs = sorted(values)
    n, total = len(xs), sum(xs)
    if n == 0 or total == 0:
        return 0.0
    return sum((2 * i - n + 1) * x for i, x in enumerate(xs)) / (n * total)


def figures(instance: Instance, plan: Plan) -> dict[str, float]:
    """Errands covered, km, continuity kept (% of the errands whose regular helper
    could come), the largest load and the Gini of the loads (hours per helper)."""
    hours = {h.id: 0.0 for h in instance.helpers}
    covered = 0
    km = 0.0
    with_regular = kept = 0
    for e in instance.errands:
        chosen = set(plan.lines.get(e.id, ()))
        covered += len(chosen) >= e.helpers_needed
        regular = [o.helper_id for o in e.options if o.regular]
        with_regular += bool(regular)
        kept += bool(regular) and regular[0] in chosen
        for o in e.options:
            if o.helper_id in chosen:
                km += o.km
                hours[o.helper_id] = hours.get(o.helper_id, 0.0) + e.minutes / 60.0
    return {
        "covered": covered,
        "km": round(km, 1),
        "continuity_%": round(100.0 * kept / with_regular, 1) if with_regular else 0.0,
        "load_max_h": round(max(hours.values(), default=0.0), 1),
        "load_gini": round(gini(hours.values()), 3),
        "seconds": round(plan.seconds, 2),
    }
