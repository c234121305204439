"""The week plan against best-first on the same synthetic week (issue 18).

In memory on the synthetic Finland (bench/geography.py, bench/datagen.py's ways
of moving and parts of day): helpers and older people drawn around the Kainuu
towns and villages, a week of errands (Monday to Saturday, 09-19), each ranked
by the real score (:func:`app.matching.score.rank`) and filtered by the real
availability rules (:mod:`app.matching.availability`: weekly availability,
exceptions, minors' school hours from the school calendar) into the planner's
options (:func:`app.planning.instance.options_for`). Then best-first (the
product's one-at-a-time matching, errands in request order) and the planner
(:func:`app.planning.solver.solve`, WEEK_PLAN_SECONDS-like time limits) on the
same instance. No database: the planner's own cost is measured.

Instances: a municipality week (Kajaani, 200 errands, 60 helpers), a region
week (Kainuu, 2,000 errands, 600 helpers), and each one scarce (half the
helpers).

    python -m bench.planner            (or: python -m bench --only planner)
"""

from __future__ import annotations

import argparse
import math
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from app.matching.availability import HelperWeek, load_calendar
from app.matching.score import HELSINKI, PARTS_OF_DAY, TASK_TYPES, ErrandSpec, HelperCandidate, rank
from app.planning.instance import options_for
from app.planning.solver import Instance, PlanErrand, PlanHelper, best_first, figures, solve
from bench.common import Result
from bench.datagen import TRANSPORT_KM
from bench.geography import CENTRES, Geography, offset_km

WEEK = date(2026, 12, 7)  # a Monday in term time
SEED = 20151205
TRANSPORTS = (("foot", 25), ("bike", 40), ("moped", 15), ("car", 20))


@dataclass(frozen=True)
class Case:
    name: str
    towns: tuple[str, ...]
    errands: int
    helpers: int
    seconds: float  # the planner's time limit
    target_seconds: float


CASES = (
    Case("municipality week", ("Kajaani",), 200, 60, 4.0, 5.0),
    Case("municipality week, scarce", ("Kajaani",), 200, 30, 4.0, 5.0),
    Case(
        "region week",
        ("Kajaani", "Sotkamo", "Kuhmo", "Suomussalmi", "Paltamo", "Puolanka", "Hyrynsalmi", "Ristijärvi"),
        2000,
        600,
        25.0,
        30.0,
    ),
    Case(
        "region week, scarce",
        ("Kajaani", "Sotkamo", "Kuhmo", "Suomussalmi", "Paltamo", "Puolanka", "Hyrynsalmi", "Ristijärvi"),
        2000,
        300,
        25.0,
        30.0,
    ),
)


def _pick(rng: random.Random, pairs: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([v for v, _ in pairs], weights=[w for _, w in pairs])[0]


def _place(rng: random.Random, geo: Geography, towns: list[int]) -> tuple[float, float, str]:
    """Someone's home: mostly in a town, else in one of its villages."""
    ci = rng.choices(towns, weights=[CENTRES[i].population for i in towns])[0]
    c = CENTRES[ci]
    villages = [v for v in geo.villages if v.centre == ci]
    if villages and rng.random() < 0.35:
        v = rng.choice(villages)
        lat, lon = offset_km(v.lat, v.lon, rng.gauss(0, 1.5), rng.gauss(0, 1.5))
    else:
        lat, lon = offset_km(c.lat, c.lon, rng.gauss(0, c.spread_km), rng.gauss(0, c.spread_km))
    return lat, lon, c.name


def build(case: Case, seed: int = SEED) -> Instance:
    """One synthetic week as the planner's instance (the same for best-first and the planner)."""
    rng = random.Random(f"{seed}-{case.name}")
    geo = Geography(random.Random(seed))
    towns = [i for i, c in enumerate(CENTRES) if c.name in case.towns]
    calendars = {name: load_calendar("fi", WEEK, name) for name in case.towns}
    candidates: list[HelperCandidate] = []
    weeks: dict[int, HelperWeek] = {}
    helpers: list[PlanHelper] = []
    for hid in range(1, case.helpers + 1):
        lat, lon, town = _place(rng, geo, towns)
        transport = _pick(rng, TRANSPORTS)
        minor = rng.random() < 0.45
        parts = (
            frozenset((d, p) for d in range(7) for p in PARTS_OF_DAY if rng.random() < 0.55)
            if rng.random() < 0.7
            else frozenset()
        )  # 30 % have not told their availability
        candidates.append(
            HelperCandidate(
                helper_id=hid,
                lat=lat,
                lon=lon,
                max_distance_km=rng.uniform(*TRANSPORT_KM[transport]) * 1.5,
                is_approved=True,
                is_paused=False,
                is_suspended=False,
                is_minor=minor,
                has_guardian_consent=True,
                task_types=frozenset(rng.sample(sorted(TASK_TYPES), rng.randint(2, 6))),
                availability=parts,
                recent_assignments=rng.randint(0, 6),
                travel_mode=transport,
            )
        )
        off = WEEK + timedelta(days=rng.randrange(6))
        weeks[hid] = HelperWeek(
            availability=parts,
            exceptions=((off, off),) if rng.random() < 0.15 else (),
            is_minor=minor,
            school=calendars[town],
        )
        cap = rng.choice((None, None, 3, 4, 5, 6)) if not minor else rng.choice((3, 4))
        helpers.append(PlanHelper(hid, transport, max_errands=cap, max_minutes=None if cap is None else cap * 120))
    # Older people: each with a few errands this week; a third has a regular helper nearby.
    errands: list[PlanErrand] = []
    order = list(range(case.errands))
    rng.shuffle(order)  # requests arrive in no particular order of time
    eid = 0
    elder = 0
    while eid < case.errands:
        elder += 1
        lat, lon, _town = _place(rng, geo, towns)
        near = sorted(candidates, key=lambda h: (h.lat - lat) ** 2 + ((h.lon - lon) * 0.44) ** 2)[:5]
        regular = rng.choice(near).helper_id if rng.random() < 0.35 else None
        task = rng.choice(sorted(TASK_TYPES))
        for _ in range(rng.choice((1, 1, 2, 3))):
            if eid >= case.errands:
                break
            eid += 1
            day = WEEK + timedelta(days=rng.randrange(6))
            hour = rng.choice((9, 10, 11, 12, 13, 14, 15, 16, 17, 18))
            starts = datetime(day.year, day.month, day.day, hour, rng.choice((0, 30)), tzinfo=HELSINKI)
            ends = starts + timedelta(minutes=rng.choice((60, 60, 90, 120)))
            spec = ErrandSpec(
                errand_id=eid, elder_id=elder, task_type=task, lat=lat, lon=lon, starts_at=starts, ends_at=ends
            )
            pool = [
                h
                if h.helper_id != regular
                else HelperCandidate(**{**{f: getattr(h, f) for f in h.__slots__}, "past_errands_with_elder": 4})
                for h in candidates
                if abs(h.lat - lat) < 0.5 and abs(h.lon - lon) < 1.0
            ]
            ranked, _excluded = rank(spec, pool)
            options, _left_out = options_for(starts, ends, ranked, weeks)
            need = 2 if rng.random() < 0.05 else 1
            errands.append(PlanErrand(eid, starts, ends, options, lat, lon, need, order[eid - 1]))
    return Instance(tuple(errands), tuple(helpers))


def run(*, log: Callable[[str], None] = print, cases: tuple[Case, ...] = CASES) -> list[Result]:
    results: list[Result] = []
    for case in cases:
        started = time.perf_counter()
        instance = build(case)
        built = time.perf_counter() - started
        greedy = best_first(instance)
        plan = solve(instance, seconds=case.seconds, start=greedy)
        g, p = figures(instance, greedy), figures(instance, plan)
        row = {
            "errands": len(instance.errands),
            "helpers": len(instance.helpers),
            **{f"best_first_{k}": v for k, v in g.items()},
            **{f"plan_{k}": v for k, v in p.items()},
            "plan_gap_%": round(100.0 * plan.gap, 2) if math.isfinite(plan.gap) else "-",
        }
        scarce = "scarce" in case.name
        passed = (
            p["covered"] >= g["covered"]
            and (p["covered"] > g["covered"] or not scarce)
            and p["load_gini"] < g["load_gini"]
            and plan.seconds <= case.target_seconds
        )
        target = f"covers >= best-first{' and more' if scarce else ''}, lower Gini, <= {case.target_seconds:g} s"
        log(
            f"   {case.name}: best-first {g}; plan {p}, gap {row['plan_gap_%']} %, {plan.status}"
            f" (instance built in {built:.1f} s)"
        )
        results.append(Result("planner", "-", case.name, row, target, passed))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.planner", description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", default="", help="run only the cases whose name contains this text")
    args = parser.parse_args(argv)
    from bench.common import format_table

    results = run(cases=tuple(c for c in CASES if args.only in c.name))
    print(format_table(results))
    return 0 if all(r.passed for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
