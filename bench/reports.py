"""A report calculated afresh, in process: what the page's "Calculate again" costs
without the web server, at a size, for the page's own report (the bench
coordinator's organizations, one municipality, the last 12 months) and for
the whole country's last 12 months (an admin's).

    python -m bench.reports --helpers 100000 [--repeat 5] [--database-url URL]

``--database-url`` reads any data set made by :mod:`bench.datagen` (e.g. the
same one with the code before the rollups, for a ratio on the same data).
The target of issue 15: <= 300 ms at 1,000,000 helpers, growing with the days
and areas asked for, not with the number of people.
"""

from __future__ import annotations

import argparse
import logging
import statistics
import sys
import time
from datetime import timedelta

import sqlalchemy as sa

from bench import common
from bench.common import Result
from bench.matching import MMAP_MB

TARGET_MS = 300.0


def _scopes(world_municipality_id: int, coordinator_email: str, country: bool = True):
    from app.extensions import db
    from app.i18n import to_local
    from app.models import User, utcnow
    from app.reports.forms import add_months, preset_period
    from app.reports.scope import build_scope

    now = utcnow()
    since, until = preset_period("last_12_months", to_local(now).date())
    coordinator = db.session.scalar(sa.select(User).where(User.email == coordinator_email))
    admin = db.session.scalar(sa.select(User).where(User.role == "admin").limit(1))
    half = add_months(until, -6) + timedelta(days=1)
    scopes = {
        "report afresh, 1 municipality, 12 months": build_scope(
            coordinator, since=since, until=until, municipality_id=world_municipality_id, now=now
        ),
        # Half the days: the time should follow the days asked for, not the people.
        "report afresh, 1 municipality, 6 months": build_scope(
            coordinator, since=half, until=until, municipality_id=world_municipality_id, now=now
        ),
    }
    if admin is not None and country:
        scopes["report afresh, whole country, 12 months"] = build_scope(admin, since=since, until=until, now=now)
    return scopes


def measure(
    url: str, municipality_id: int, coordinator_email: str, repeat: int, country: bool = True
) -> dict[str, list[float]]:
    from app.extensions import db
    from app.reports.services import build_report

    app = common.build_app(url, SQLITE_MMAP_MB=MMAP_MB)  # as the matching benchmark
    timings: dict[str, list[float]] = {}
    with app.app_context():
        for name, scope in _scopes(municipality_id, coordinator_email, country).items():
            build_report(scope)  # warm: the first read of the tables and the statement caches
            db.session.rollback()
            runs, cpu = [], []
            for _ in range(repeat):
                started, started_cpu = time.perf_counter(), time.process_time()
                build_report(scope)
                runs.append(time.perf_counter() - started)
                cpu.append(time.process_time() - started_cpu)
                db.session.rollback()
            timings[name] = runs
            timings[f"{name} cpu"] = cpu
    return timings


def parts(url: str, municipality_id: int, coordinator_email: str, repeat: int) -> dict[str, float]:
    """Median wall time in ms of each part of the page's report (after one warm-up)."""
    from app.activities.reports import activity_figures
    from app.db_setup import read_only
    from app.encounters.services import checkin_changes, stage_funnel
    from app.extensions import db
    from app.reports import services

    app = common.build_app(url, SQLITE_MMAP_MB=MMAP_MB)
    out: dict[str, float] = {}
    with app.app_context():
        scope = next(iter(_scopes(municipality_id, coordinator_email, country=False).values()))
        last = scope.end - timedelta(microseconds=1)
        steps = {
            "errand figures": lambda: services.errand_figures(scope),
            "requests": lambda: services.requests_by_group(scope),
            "helpers by area": lambda: services.helpers_by_area(scope),
            "encounters": lambda: services.encounters_by_kind_and_area(scope),
            "people reached": lambda: services.people_reached(scope),
            "stage funnel": lambda: stage_funnel(
                scope.organization_ids, scope.municipality_id, scope.start, last, scope.now
            ),
            "check-in changes": lambda: checkin_changes(
                scope.organization_ids, scope.municipality_id, scope.since, scope.until
            ),
            "activities": lambda: activity_figures(
                scope.organization_ids, scope.municipality_id, scope.start, scope.end
            ),
        }
        for name, step in steps.items():
            runs = []
            for i in range(repeat + 1):
                with read_only():
                    started = time.perf_counter()
                    step()
                    if i:
                        runs.append(time.perf_counter() - started)
                db.session.rollback()
            out[name] = common.ms(statistics.median(runs))
    return out


def run(
    sizes: list[int],
    *,
    repeat: int = 5,
    log=print,
    database_url: str | None = None,
    label: str = "",
    country: bool = True,
    show_parts: bool = False,
) -> list[Result]:
    """Time the reports afresh at each size (data sets made when missing)."""
    from bench.datagen import Spec
    from bench.dataset import ensure_dataset

    results = []
    for helpers in sizes:
        if database_url:
            url = database_url
            municipality_id, coordinator_email = _world_of(url)
        else:
            ds = ensure_dataset(Spec(helpers=helpers), log=log)
            url, municipality_id, coordinator_email = (
                ds.url,
                ds.world.report_municipality_id,
                ds.world.coordinator_email,
            )
        if show_parts:
            for name, median_ms in parts(url, municipality_id, coordinator_email, repeat).items():
                log(f"  part of the page's report, {helpers:,} helpers: {name} {median_ms} ms")
        timings = measure(url, municipality_id, coordinator_email, repeat, country)
        for name, runs in timings.items():
            if name.endswith(" cpu"):
                continue
            median_ms = common.ms(statistics.median(runs))
            figures = {"median_ms": median_ms, "min_ms": common.ms(min(runs)), "max_ms": common.ms(max(runs))}
            # The process's own CPU (this side of the database connection): steadier under load.
            figures["cpu_ms"] = common.ms(statistics.median(timings[f"{name} cpu"]))
            figures["runs"] = len(runs)
            line = f"{name}{' (' + label + ')' if label else ''}"
            target, passed = "", None
            if name.startswith("report afresh, 1 municipality") and helpers >= 1_000_000:
                target, passed = f"<= {TARGET_MS:.0f} ms at 1,000,000 helpers", median_ms <= TARGET_MS
            engine = sa.engine.make_url(url).get_backend_name() if database_url else common.engine_name()
            results.append(Result(line, engine, f"{helpers:,} helpers", figures, target, passed))
            log(
                f"  {line}, {helpers:,} helpers: median {median_ms} ms,"
                f" min {figures['min_ms']}, max {figures['max_ms']}, process CPU {figures['cpu_ms']} ms"
            )
    return results


def _world_of(url: str) -> tuple[int, str]:
    """The page's municipality and the bench coordinator of a data set read as it is."""
    from bench.geography import CENTRES

    engine = sa.create_engine(url)
    with engine.connect() as conn:
        municipality_id = conn.scalar(
            sa.text("SELECT id FROM municipalities WHERE name = :n ORDER BY id LIMIT 1"), {"n": CENTRES[0].name}
        )
        coordinator_email = conn.scalar(
            sa.text("SELECT email FROM users WHERE email LIKE 'bench.coordinator@%' ORDER BY id LIMIT 1")
        )
    engine.dispose()
    return municipality_id, coordinator_email


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.reports", description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, action="append", help="repeatable (default 100,000)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--database-url", default=None, help="a data set to read as it is (default: the bench one)")
    parser.add_argument("--label", default="", help="added to each line's name (e.g. 'before')")
    parser.add_argument("--no-country", action="store_true", help="only the page's report (one municipality)")
    parser.add_argument("--parts", action="store_true", help="also time each part of the page's report")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    for name in ("alembic", "app"):
        logging.getLogger(name).setLevel(logging.ERROR)
    results = run(
        args.helpers or [100_000],
        repeat=args.repeat,
        database_url=args.database_url,
        label=args.label,
        country=not args.no_country,
        show_parts=args.parts,
    )
    print(f"load average {common.loadavg()}")
    if not args.database_url:
        common.save_results(results)
    print(common.format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
