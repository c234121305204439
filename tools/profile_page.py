"""Profile one page of a benchmark data set in-process (a developer's tool, not a benchmark).

    .venv/bin/python -m tools.profile_page board|day|errand|report [--helpers 100000] [-n 20] [--profile]
        [--not-modified] [--warm] [--set COORDINATOR_CACHE_SECONDS=0 ...]

Uses the same data set as ``python -m bench.pages`` (SQLite, or PostgreSQL with
BENCH_DATABASE_URL), logs in through the real login form and prints the median
time, the median CPU time of this process and the number of SQL statements of the page; ``--profile`` adds the
cProfile functions with the most cumulative time (SORT=tottime, TOP=N to change;
CALLERS=pattern also lists who calls the functions matching the pattern).
``--not-modified`` asks again with the first answer's ``ETag`` (the 304 path);
``--set NAME=VALUE`` overrides a setting of the app (a whole number, else text), e.g.
``COORDINATOR_CACHE_SECONDS=0`` (every errand page ranks afresh) or ``=300`` (every
request after the first visit of each errand finds its ranking kept, however slow the run);
``--warm`` asks each of the page's paths once before measuring, so that with ``=300`` only kept
rankings are measured.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import re
import statistics
import time

import sqlalchemy as sa

from bench import common
from bench.datagen import Spec
from bench.dataset import ensure_dataset
from bench.pages import page_paths

PAGES = {
    "board": "helper's board",
    "day": "coordinator's day",
    "errand": "errand + candidates",
    "report": "report, 1 municipality, 12 months",
    "healthz": "floor /healthz",
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("page", choices=sorted(PAGES))
    parser.add_argument("--helpers", type=int, default=100_000)
    parser.add_argument("-n", type=int, default=20)
    parser.add_argument("--profile", action="store_true")
    parser.add_argument("--not-modified", action="store_true", help="send the first answer's ETag (If-None-Match)")
    parser.add_argument(
        "--warm", action="store_true", help="ask each of the page's paths once before measuring (kept rankings)"
    )
    parser.add_argument("--set", action="append", default=[], metavar="NAME=VALUE", help="override a setting")
    args = parser.parse_args()
    overrides = {}
    for item in args.set:
        name, _, value = item.partition("=")
        overrides[name] = int(value) if value.lstrip("-").isdigit() else value

    ds = ensure_dataset(Spec(helpers=args.helpers))
    app = common.build_app(ds.url, WTF_CSRF_ENABLED=False, **overrides)
    world = ds.world
    email = world.helper_email if args.page in ("board", "healthz") else world.coordinator_email
    client = app.test_client()
    client.post("/auth/login", data={"email": email, "password": world.password})
    paths = page_paths(ds)[PAGES[args.page]]

    statements = [0]
    with app.app_context():
        from app.extensions import db

        engine = db.engine

    def count(*_a, **_k):
        statements[0] += 1

    sa.event.listen(engine, "before_cursor_execute", count)
    response = client.get(paths(0))
    body = response.get_data(as_text=True)
    print(f"status {response.status_code}, {len(body):,} bytes, {statements[0]} statements")
    if response.status_code != 200:
        print(re.sub(r"\s+", " ", body)[:500])
    if args.warm:  # each distinct path once (the errand page cycles 100 errands): only kept paths are measured
        for path in dict.fromkeys(paths(i) for i in range(args.n)):
            client.get(path)
    headers = {"If-None-Match": response.headers["ETag"]} if args.not_modified else {}
    times, cpu = [], []
    profiler = cProfile.Profile() if args.profile else None
    for i in range(args.n):
        start, start_cpu = time.perf_counter(), time.process_time()
        if profiler:
            profiler.enable()
        again = client.get(paths(i), headers=headers)
        if profiler:
            profiler.disable()
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert again.status_code == (304 if args.not_modified else 200), again.status_code
    print(
        f"{PAGES[args.page]}: median {statistics.median(times) * 1000:.2f} ms, max {max(times) * 1000:.1f} ms, "
        # This process's CPU time (SQLite's work included, PostgreSQL's not): on a shared machine
        # it moves far less than the wall-clock time.
        f"CPU median {statistics.median(cpu) * 1000:.2f} ms"
    )
    if profiler:
        stats = pstats.Stats(profiler).sort_stats(os.environ.get("SORT", "cumulative"))
        stats.print_stats(int(os.environ.get("TOP", "35")))
        if os.environ.get("CALLERS"):  # who calls the functions matching this pattern
            stats.print_callers(os.environ["CALLERS"])


if __name__ == "__main__":
    main()
