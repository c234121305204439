"""Benchmark data sets, generated once and kept until the generator or the
schema changes, or the data set is more than a week old (its errands are
placed around the day it was made).

A data set is named after its size (``h100000_e20000_s20151205``); its
fingerprint (a hash of the generator and its settings, the migrations and the
size) is kept in a small ``bench_meta`` table next to the app's tables, with
what the generator returned (logins, errand ids...). A benchmark asks for
a size with :func:`ensure_dataset`; a stale or missing one is rebuilt with the
real migrations and :func:`bench.datagen.generate`.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from dataclasses import dataclass
from datetime import date
from pathlib import Path

import sqlalchemy as sa

from bench import common
from bench.datagen import Spec, World, generate

META_TABLE = "bench_meta"
MAX_AGE_DAYS = 7


@dataclass
class Dataset:
    name: str
    url: str
    spec: Spec
    world: World
    generated_seconds: float | None  # None when reused

    @property
    def size_label(self) -> str:
        return f"{self.spec.helpers:,} helpers"


def dataset_name(spec: Spec) -> str:
    return f"h{spec.helpers}_e{spec.elder_count}_s{spec.seed}"


def fingerprint(spec: Spec) -> str:
    h = hashlib.sha256()
    sources = [Path(__file__).with_name(n) for n in ("datagen.py", "geography.py", "common.py")]
    sources += sorted((common.ROOT / "migrations" / "versions").glob("*.py"))
    for path in sources:
        h.update(path.read_bytes())
    h.update(repr((spec.helpers, spec.elder_count, spec.seed, spec.errands_per_elder)).encode())
    return h.hexdigest()


def _read_meta(url: str) -> dict | None:
    if not common.dataset_exists(url_name := _name_from_url(url)):
        del url_name
        return None
    engine = sa.create_engine(url)
    try:
        with engine.connect() as conn:
            if not sa.inspect(conn).has_table(META_TABLE):
                return None
            value = conn.scalar(sa.text(f"SELECT value FROM {META_TABLE} WHERE key = 'dataset'"))
            return json.loads(value) if value else None
    finally:
        engine.dispose()


_NAMES: dict[str, str] = {}


def _name_from_url(url: str) -> str:
    return _NAMES[url]


def _write_meta(url: str, meta: dict) -> None:
    engine = sa.create_engine(url)
    with engine.begin() as conn:
        conn.execute(sa.text(f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key VARCHAR(64) PRIMARY KEY, value TEXT)"))
        conn.execute(sa.text(f"DELETE FROM {META_TABLE} WHERE key = 'dataset'"))
        conn.execute(sa.text(f"INSERT INTO {META_TABLE} (key, value) VALUES ('dataset', :v)"), {"v": json.dumps(meta)})
    engine.dispose()


def ensure_dataset(spec: Spec, *, log=print) -> Dataset:
    """The data set of ``spec``'s size, generated now if it is missing or stale."""
    name = dataset_name(spec)
    url = common.dataset_url(name)
    _NAMES[url] = name
    fp = fingerprint(spec)
    meta = _read_meta(url)
    if meta and meta.get("fingerprint") == fp:
        world = World(**meta["world"])
        if (spec.day - date.fromisoformat(world.day)).days <= MAX_AGE_DAYS:
            return Dataset(name, url, spec, world, None)

    log(f"Generating {spec.helpers:,} helpers and {spec.elder_count:,} older residents on {common.engine_name()}...")
    started = time.perf_counter()
    common.reset_dataset(name)
    app = common.build_app(url)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        from flask_migrate import upgrade

        from app.extensions import db

        upgrade()
        world = generate(spec, progress=lambda m: log("  " + m))
        if db.engine.dialect.name == "postgresql":
            # As autovacuum would leave a live database: statistics, and the
            # visibility map and hint bits set (the first reads after a bulk
            # load otherwise write every page they touch).
            with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.execute(sa.text("VACUUM (FREEZE, ANALYZE)"))
        else:
            with db.engine.begin() as conn:
                conn.execute(sa.text("ANALYZE"))
        db.engine.dispose()
    seconds = round(time.perf_counter() - started, 1)
    _write_meta(url, {"fingerprint": fp, "world": world.as_dict(), "generated_seconds": seconds})
    log(f"  generated in {seconds} s")
    return Dataset(name, url, spec, world, seconds)
