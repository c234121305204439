"""``python -m bench`` (``make bench``): every benchmark, one table, bench/results.json.

Sizes: the default run takes a few minutes once the data sets exist
(matching with 10,000 and 100,000 helpers, pages and the web workers' memory
with 100,000, 1,000 SMS, the scheduler's memory with 100,000 helpers).
``--full`` (or ``FULL=1``, e.g. ``make bench FULL=1``) adds 1,000,000 helpers
to matching, runs the scheduler on them and sends 10,000 SMS; ``--quick`` is a
smoke run on 10,000 helpers.

Engines: ``--engines sqlite,postgresql`` (what ``make bench`` runs) measures
everything on SQLite and then on PostgreSQL (``BENCH_DATABASE_URL``, by default
the database ``bench`` on 127.0.0.1, made when missing) and prints one table
with both. Without ``--engines``: SQLite, or PostgreSQL alone when
``BENCH_DATABASE_URL`` is set.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
import time
import traceback
from collections.abc import Callable

import sqlalchemy as sa

from bench import common
from bench.common import Result

PLANS = {
    "quick": {
        "matching": [10_000],
        "pages": 10_000,
        "seconds": 3.0,
        "sms": 200,
        "memory": 10_000,
        "reports": [10_000],
    },
    "default": {
        "matching": [10_000, 100_000],
        "pages": 100_000,
        "seconds": 10.0,
        "sms": 1_000,
        "memory": 100_000,
        "reports": [100_000],
    },
    "full": {
        "matching": [10_000, 100_000, 1_000_000],
        "pages": 100_000,
        "seconds": 10.0,
        "sms": 10_000,
        "memory": 1_000_000,
        "reports": [100_000, 1_000_000],
    },
}


ENGINES = ("sqlite", "postgresql")
#: PostgreSQL for ``--engines ...,postgresql`` when BENCH_DATABASE_URL is not set.
DEFAULT_POSTGRESQL_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/bench"


def use_engine(engine: str) -> None:
    """Point the data sets at ``engine`` (common.base_url reads BENCH_DATABASE_URL on each call)."""
    if engine == "sqlite":
        os.environ.pop("BENCH_DATABASE_URL", None)
        return
    url = common.base_url() or DEFAULT_POSTGRESQL_URL
    _create_database(url)
    os.environ["BENCH_DATABASE_URL"] = url


def _create_database(url: str) -> None:
    """Make the PostgreSQL database of ``url`` when it does not exist yet."""
    target = sa.engine.make_url(url)
    admin = sa.create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            exists = conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :d"), {"d": target.database})
            if not exists:
                conn.execute(sa.text(f'CREATE DATABASE "{target.database}"'))
    finally:
        admin.dispose()


def run_engine(plan: dict, only: set[str]) -> tuple[list[Result], bool]:
    """Every benchmark of ``plan`` named in ``only``, on the engine BENCH_DATABASE_URL chooses now."""
    info = common.machine()
    print(
        f"Benchmarks on {common.engine_name()}: {info.get('cpu', '?')}, {info.get('nproc')} CPUs, "
        f"{info.get('memory_gb', '?')} GB, Python {info.get('python')}; load average {common.loadavg()}",
        flush=True,
    )

    def log(message: str) -> None:
        print(message, flush=True)

    from bench import matching, memory, nodes, pages, planner, reports, sms

    steps: list[tuple[str, Callable[[], list[Result]]]] = [
        ("matching", lambda: matching.run(plan["matching"], log=log)),
        ("pages", lambda: pages.run(plan["pages"], seconds=plan["seconds"], log=log)[0]),
        ("nodes", lambda: nodes.run(plan["pages"], seconds=min(plan["seconds"], 5.0), log=log)),
        ("sms", lambda: sms.run(plan["sms"], log=log)),
        ("memory", lambda: memory.run(plan["memory"], log=log)),
        ("reports", lambda: reports.run(plan["reports"], log=log)),
        ("planner", lambda: planner.run(log=log)),
    ]
    results: list[Result] = []
    crashed = False
    for name, step in steps:
        if name not in only:
            continue
        log(f"== {name}")
        started = time.perf_counter()
        try:
            fresh = step()
        except Exception as exc:  # one broken benchmark must not hide the others' numbers
            crashed = True
            traceback.print_exc()
            fresh = [Result(name, common.engine_name(), "-", {"error": f"{type(exc).__name__}: {exc}"}, "runs", False)]
        common.save_results(fresh)
        results += fresh
        log(f"   ({time.perf_counter() - started:.0f} s)")
    return results, crashed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="add 1,000,000 helpers and 10,000 SMS (also FULL=1)")
    size.add_argument("--quick", action="store_true", help="a smoke run on 10,000 helpers")
    parser.add_argument(
        "--only",
        default="matching,pages,nodes,sms,memory,reports,planner",
        help="comma-separated: matching,pages,nodes,sms,memory,reports,planner (nodes needs BENCH_REDIS_URL)",
    )
    parser.add_argument(
        "--engines",
        default=None,
        help="comma-separated: sqlite,postgresql (default: the one BENCH_DATABASE_URL chooses)",
    )
    args = parser.parse_args(argv)
    engines = [e.strip() for e in (args.engines or common.engine_name()).split(",") if e.strip()]
    unknown = set(engines) - set(ENGINES)
    if unknown:
        parser.error(f"unknown engine(s): {', '.join(sorted(unknown))} (choose from {', '.join(ENGINES)})")
    full = args.full or os.environ.get("FULL", "").strip() not in ("", "0")
    plan = PLANS["full" if full else "quick" if args.quick else "default"]
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("app.sms", "app.scheduling", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)

    results: list[Result] = []
    crashed = False
    for i, engine in enumerate(engines):
        use_engine(engine)
        # The planner uses no database: measured once, with the first engine.
        engine_results, engine_crashed = run_engine(plan, only if i == 0 else only - {"planner"})
        results += engine_results
        crashed = crashed or engine_crashed
    print()
    print(common.format_table(results))
    print(f"\nWritten to {common.RESULTS_FILE.relative_to(common.ROOT)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
