"""Matching at national scale: the real ``rank_candidates`` for 200 random
errands, against the naive way (load every helper, geopy's geodesic distance
to each, rank) on a sample of the same errands.

    python -m bench.matching --helpers 10000 [--helpers 100000 ...] [--errands 200]
"""

from __future__ import annotations

import argparse
import logging
import random
import sys
import time

import sqlalchemy as sa

from bench import common
from bench.common import Result, median, ms, percentile
from bench.datagen import Spec
from bench.dataset import Dataset, ensure_dataset

TARGET_MEDIAN_MS = 10.0
TARGET_RATIO = 300.0


def naive_rank(errand, *, limit: int = 20) -> list[tuple[float, int]]:
    """The way not to do it: every helper row into Python, geodesic distance to each, sort."""
    from geopy.distance import geodesic

    from app.errands.eligibility import errand_location
    from app.extensions import db
    from app.models import HelperProfile

    lat, lon = errand_location(errand.elder)
    here = (lat, lon)
    found = []
    for helper in db.session.scalars(sa.select(HelperProfile).execution_options(yield_per=5000)):
        if helper.lat is None or helper.status != "approved":
            continue
        km = geodesic(here, (helper.lat, helper.lon)).km
        if km <= helper.max_distance_km:
            found.append((km, helper.id))
    found.sort()
    return found[:limit]


def run_one(ds: Dataset, *, errands: int = 200, naive_sample: int | None = None, log=print) -> list[Result]:
    from app.db_setup import end_session
    from app.errands.matching_service import rank_candidates
    from app.extensions import db
    from app.models import Errand

    app = common.build_app(ds.url)
    ids = list(ds.world.matching_errand_ids)
    random.Random(7).shuffle(ids)
    ids = ids[:errands]
    times: list[float] = []
    considered: list[int] = []
    empty = 0
    with app.app_context(), app.test_request_context("/"):
        for errand_id in ids[:5]:  # warm up: statement caches, connection pool
            rank_candidates(db.session.get(Errand, errand_id))
            end_session()  # as at the end of a request
        for errand_id in ids:
            t0 = time.perf_counter()
            errand = db.session.get(Errand, errand_id)
            result = rank_candidates(errand)
            times.append(time.perf_counter() - t0)
            considered.append(result.considered)
            empty += not result.ranked
            end_session()
        n_naive = naive_sample or max(1, min(5, 300_000 // max(ds.spec.helpers, 1)))
        naive_times = []
        for errand_id in ids[:n_naive]:
            t0 = time.perf_counter()
            naive_rank(db.session.get(Errand, errand_id))
            naive_times.append(time.perf_counter() - t0)
            db.session.remove()
        db.engine.dispose()
    med, p95 = median(times), percentile(times, 95)
    naive_med = median(naive_times)
    ratio = naive_med / med if med else float("nan")
    figures = {
        "errands": len(times),
        "median_ms": ms(med),
        "p95_ms": ms(p95),
        "max_ms": ms(max(times)),
        "candidates_median": int(median(considered)),
        "no_candidate": empty,
        "naive_errands": len(naive_times),
        "naive_median_ms": ms(naive_med),
        "speedup": round(ratio, 1),
    }
    if ds.generated_seconds is not None:
        figures["datagen_s"] = ds.generated_seconds
    # The targets are for national scale: at 10,000 helpers even the naive way is quick.
    passed: bool | None = None
    target = f"(speedup >= {TARGET_RATIO:.0f}x from 100,000 helpers)"
    if ds.spec.helpers >= 100_000:
        passed = ratio >= TARGET_RATIO
        target = f"speedup >= {TARGET_RATIO:.0f}x"
    if ds.spec.helpers == 100_000:
        passed = passed and med * 1000 <= TARGET_MEDIAN_MS
        target = f"median <= {TARGET_MEDIAN_MS:.0f} ms, " + target
    log(f"  matching {ds.size_label}: median {ms(med)} ms, p95 {ms(p95)} ms, naive {ms(naive_med)} ms, x{ratio:.0f}")
    return [Result("matching", common.engine_name(), ds.size_label, figures, target, passed)]


def growth_result(results: list[Result]) -> Result | None:
    """Time per errand against number of helpers: how much slower for how many more."""
    rows = sorted(
        (
            (int(r.size.split()[0].replace(",", "")), r.figures["median_ms"])
            for r in results
            if r.benchmark == "matching"
        ),
    )
    if len(rows) < 2:
        return None
    (h0, t0), (h1, t1) = rows[0], rows[-1]
    helpers_x = h1 / h0
    time_x = t1 / t0 if t0 else float("nan")
    figures = {"helpers_x": round(helpers_x, 1), "median_time_x": round(time_x, 2)}
    passed = time_x <= helpers_x**0.5  # far slower growth: at most the square root of the data growth
    return Result(
        "matching growth",
        common.engine_name(),
        f"{h0:,} -> {h1:,} helpers",
        figures,
        "time x <= sqrt(helpers x)",
        passed,
    )


def run(helper_sizes: list[int], *, errands: int = 200, elders: int | None = None, log=print) -> list[Result]:
    results = []
    for helpers in helper_sizes:
        ds = ensure_dataset(Spec(helpers=helpers, elders=elders), log=log)
        results += run_one(ds, errands=errands, log=log)
    growth = growth_result(results)
    if growth:
        results.append(growth)
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.matching", description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, action="append", help="repeat for several sizes (default 10000)")
    parser.add_argument("--elders", type=int, default=None)
    parser.add_argument("--errands", type=int, default=200)
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    results = run(args.helpers or [10_000], errands=args.errands, elders=args.elders)
    common.save_results(results)
    print(common.format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
