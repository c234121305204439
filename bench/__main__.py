"""``python -m bench`` (``make bench``): every benchmark, one table, bench/results.json.

Sizes: the default run takes a few minutes once the data sets exist
(matching with 10,000 and 100,000 helpers, pages and the web workers' memory
with 100,000, 1,000 SMS, the scheduler's memory with 100,000 helpers).
``--full`` (or ``FULL=1``, e.g. ``make bench FULL=1``) adds 1,000,000 helpers
to matching, runs the scheduler on them and sends 10,000 SMS; ``--quick`` is a
smoke run on 10,000 helpers. SQLite by default; PostgreSQL when
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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    size = parser.add_mutually_exclusive_group()
    size.add_argument("--full", action="store_true", help="add 1,000,000 helpers and 10,000 SMS (also FULL=1)")
    size.add_argument("--quick", action="store_true", help="a smoke run on 10,000 helpers")
    parser.add_argument(
        "--only",
        default="matching,pages,sms,memory,reports",
        help="comma-separated: matching,pages,sms,memory,reports",
    )
    args = parser.parse_args(argv)
    full = args.full or os.environ.get("FULL", "").strip() not in ("", "0")
    plan = PLANS["full" if full else "quick" if args.quick else "default"]
    only = {name.strip() for name in args.only.split(",") if name.strip()}
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("app.sms", "app.scheduling", "alembic"):
        logging.getLogger(name).setLevel(logging.ERROR)

    info = common.machine()
    print(
        f"Benchmarks on {common.engine_name()}: {info.get('cpu', '?')}, {info.get('nproc')} CPUs, "
        f"{info.get('memory_gb', '?')} GB, Python {info.get('python')}; load average {common.loadavg()}",
        flush=True,
    )

    def log(message: str) -> None:
        print(message, flush=True)

    from bench import matching, memory, pages, reports, sms

    steps: list[tuple[str, Callable[[], list[Result]]]] = [
        ("matching", lambda: matching.run(plan["matching"], log=log)),
        ("pages", lambda: pages.run(plan["pages"], seconds=plan["seconds"], log=log)[0]),
        ("sms", lambda: sms.run(plan["sms"], log=log)),
        ("memory", lambda: memory.run(plan["memory"], log=log)),
        ("reports", lambda: reports.run(plan["reports"], log=log)),
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

    print()
    print(common.format_table(results))
    print(f"\nWritten to {common.RESULTS_FILE.relative_to(common.ROOT)}")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
