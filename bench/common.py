"""What every benchmark shares: the engine and database of a data set, the
app built on it, timing figures, the machine, and the results file.

SQLite is used by default (one file per data set under ``instance/bench/``);
when ``BENCH_DATABASE_URL`` is set (e.g.
``postgresql+psycopg://postgres@127.0.0.1:5432/bench``) every data set lives in
its own schema of that database, chosen with the connection's ``search_path``.
"""

from __future__ import annotations

import json
import os
import platform
import statistics
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import sqlalchemy as sa

from config import Config, normalise_database_url

ROOT = Path(__file__).resolve().parent.parent
RESULTS_FILE = Path(__file__).resolve().parent / "results.json"
DATA_DIR = ROOT / "instance" / "bench"

BENCH_PASSWORD = "bench-password-not-secret"
BENCH_EMAIL_DOMAIN = "bench.example.fi"


# --------------------------------------------------------------------------
# Engines and data sets
# --------------------------------------------------------------------------


def base_url() -> str | None:
    raw = os.environ.get("BENCH_DATABASE_URL", "").strip()
    return normalise_database_url(raw) if raw else None


def engine_name() -> str:
    url = base_url()
    return "sqlite" if url is None else sa.engine.make_url(url).get_backend_name()


def dataset_url(name: str) -> str:
    """SQLAlchemy URL of the data set ``name`` (a file on SQLite, a schema on PostgreSQL)."""
    url = base_url()
    if url is None:
        DATA_DIR.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{DATA_DIR / (name + '.db')}"
    if not url.startswith("postgresql"):
        raise SystemExit(f"BENCH_DATABASE_URL must be a PostgreSQL URL, got {url!r}")
    separator = "&" if "?" in url else "?"
    return f"{url}{separator}options={quote('-csearch_path=' + schema_name(name))}"


def schema_name(name: str) -> str:
    return "bench_" + "".join(ch if ch.isalnum() else "_" for ch in name.lower())


def reset_dataset(name: str) -> None:
    """Remove the data set ``name`` completely (file or schema) and make room for a new one."""
    url = base_url()
    if url is None:
        path = DATA_DIR / (name + ".db")
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(str(path) + suffix).unlink(missing_ok=True)
        return
    engine = sa.create_engine(url)
    schema = schema_name(name)
    with engine.begin() as conn:
        conn.execute(sa.text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()


def dataset_exists(name: str) -> bool:
    url = base_url()
    if url is None:
        return (DATA_DIR / (name + ".db")).exists()
    engine = sa.create_engine(url)
    with engine.connect() as conn:
        found = conn.scalar(
            sa.text("SELECT 1 FROM information_schema.schemata WHERE schema_name = :s"), {"s": schema_name(name)}
        )
    engine.dispose()
    return bool(found)


def bench_config(database_url: str, **overrides: Any) -> type[Config]:
    """A configuration class for an app on ``database_url`` (plain HTTP cookies, outbox SMS)."""
    attrs: dict[str, Any] = {
        "ENV_NAME": "testing",
        "SECRET_KEY": "bench-secret-not-for-production",
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SESSION_COOKIE_SECURE": False,
        "REMEMBER_COOKIE_SECURE": False,
        "SMS_BACKEND": "outbox",
        "GEOCODER": "offline",
        "PUBLIC_BASE_URL": "http://127.0.0.1",
        "SCHEDULER_LOCK_FILE": str(Path(tempfile.gettempdir()) / "arjen-bench-scheduler.lock"),
    }
    attrs.update(overrides)
    return type("BenchConfig", (Config,), attrs)


def build_app(database_url: str, **overrides: Any):
    from app import create_app

    return create_app(bench_config(database_url, **overrides))


# --------------------------------------------------------------------------
# Figures
# --------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q`` percentile (0-100) by linear interpolation; NaN for no values."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    pos = (len(ordered) - 1) * q / 100.0
    low = int(pos)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (pos - low)


def median(values: Sequence[float]) -> float:
    return statistics.median(values) if values else float("nan")


def ms(seconds: float) -> float:
    return round(seconds * 1000.0, 2)


# --------------------------------------------------------------------------
# Results
# --------------------------------------------------------------------------


@dataclass
class Result:
    """One line of the results table."""

    benchmark: str
    engine: str
    size: str
    figures: dict[str, Any]
    target: str = ""
    passed: bool | None = None  # None: no target for this line
    notes: list[str] = field(default_factory=list)
    measured_at: str = field(default_factory=lambda: datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"))

    def as_json(self) -> dict[str, Any]:
        return {
            "benchmark": self.benchmark,
            "engine": self.engine,
            "size": self.size,
            "figures": self.figures,
            "target": self.target,
            "passed": self.passed,
            "notes": self.notes,
            # results.json merges runs: each line says when it was measured and under what load.
            "measured_at": self.measured_at,
            "load_average": loadavg(),
        }


def loadavg() -> str:
    try:
        return " ".join(Path("/proc/loadavg").read_text().split()[:3])
    except OSError:
        return "?"


def save_results(results: Iterable[Result], path: Path = RESULTS_FILE) -> None:
    """Merge ``results`` into the results file: a line replaces the one with the same benchmark, engine and size."""
    try:
        existing = json.loads(path.read_text(encoding="utf-8"))
        rows = existing.get("results", []) if isinstance(existing, dict) else existing
    except (FileNotFoundError, json.JSONDecodeError):
        rows = []
    fresh = [r.as_json() for r in results]
    keys = {(r["benchmark"], r["engine"], r["size"]) for r in fresh}
    merged = [r for r in rows if (r.get("benchmark"), r.get("engine"), r.get("size")) not in keys] + fresh
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(merged, indent=2, ensure_ascii=False, default=str) + "\n", encoding="utf-8")
    tmp.replace(path)


def _figure_text(figures: dict[str, Any]) -> str:
    parts = []
    for key, value in figures.items():
        if isinstance(value, float):
            value = f"{value:.3g}" if abs(value) < 1000 else f"{value:,.0f}"
        elif isinstance(value, int) and abs(value) >= 10000:
            value = f"{value:,}"
        parts.append(f"{key}={value}")
    return ", ".join(parts)


def format_table(results: Sequence[Result]) -> str:
    """A plain-text (Markdown) table of the results."""
    header = ("benchmark", "engine", "size", "figures", "target", "result")
    rows = [
        (
            r.benchmark,
            r.engine,
            r.size,
            _figure_text(r.figures),
            r.target or "-",
            "-" if r.passed is None else ("PASS" if r.passed else "FAIL"),
        )
        for r in results
    ]
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    notes = [f"- {r.benchmark} ({r.engine}, {r.size}): {n}" for r in results for n in r.notes]
    if notes:
        lines += ["", *notes]
    return "\n".join(lines)


def machine() -> dict[str, Any]:
    """nproc, memory and CPU model of this machine (from /proc on Linux)."""
    info: dict[str, Any] = {"nproc": os.cpu_count(), "python": platform.python_version()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                info["memory_gb"] = round(int(line.split()[1]) / 1024 / 1024, 1)
                break
    except OSError:
        pass
    info["platform"] = platform.platform()
    return info


def vm_hwm_mb(pid: int) -> float | None:
    """Peak resident memory (VmHWM) of process ``pid`` in MB, or None when it is gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        return None
    return None


def child_pids(pid: int) -> list[int]:
    """Direct children of ``pid`` (Linux /proc)."""
    out: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            out += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return out
