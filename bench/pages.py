"""Pages under load: the app under gunicorn (2 sync workers, as ``make run``)
on 127.0.0.1 with the 100,000-helper data set, and the load generator of
:mod:`bench.load` on the same machine. Each page is measured for a fixed time;
``/healthz`` on the same server is the floor of the stack. The peak memory of
each web worker is read from ``/proc/<pid>/status`` (VmHWM) afterwards.

    python -m bench.pages --helpers 100000 [--seconds 10] [--clients 4]
"""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from bench import common
from bench.common import Result
from bench.datagen import Spec
from bench.dataset import Dataset, ensure_dataset
from bench.load import Client, LoadResult, run_load

WORKERS = 2
TARGET_BOARD_RPS = 150.0
TARGET_BOARD_P95_MS = 100.0
TARGET_REPORT_P95_MS = 500.0
TARGET_WORKER_MB = 200.0


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving :mod:`bench.wsgi` on a free local port."""

    def __init__(self, database_url: str, workers: int = WORKERS) -> None:
        self.port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        # A report cache of its own for each run, shared by the two workers (as in production).
        self.cache_dir = tempfile.mkdtemp(prefix="arjen-bench-cache-")
        env = dict(
            os.environ, BENCH_APP_DATABASE_URL=database_url, PYTHONPATH=str(common.ROOT), CACHE_DIR=self.cache_dir
        )
        common.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.log = open(common.DATA_DIR / "gunicorn.log", "w")  # noqa: SIM115 - closed in stop()
        self.proc = subprocess.Popen(
            [
                str(gunicorn),
                "--workers",
                str(workers),
                "--bind",
                f"127.0.0.1:{self.port}",
                "--timeout",
                "120",
                "--log-level",
                "warning",
                "bench.wsgi:app",
            ],
            cwd=common.ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self._wait_ready(workers)

    def _wait_ready(self, workers: int, timeout: float = 90.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited; see {self.log.name}")
            try:
                client = Client("127.0.0.1", self.port, timeout=5)
                status, _ = client.request("GET", "/healthz")
                client.close()
                if status == 200 and len(self.worker_pids()) >= workers:
                    return
            except OSError:
                pass
            time.sleep(0.3)
        raise RuntimeError("gunicorn did not answer /healthz in time")

    def worker_pids(self) -> list[int]:
        return common.child_pids(self.proc.pid)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.log.close()
        shutil.rmtree(self.cache_dir, ignore_errors=True)


def _clients(port: int, n: int, email: str, password: str) -> list[Client]:
    out = []
    for _ in range(n):
        client = Client("127.0.0.1", port)
        client.login(email, password)
        out.append(client)
    return out


def page_paths(ds: Dataset) -> dict[str, Callable[[int], str]]:
    world = ds.world
    ids = world.errand_page_ids or [0]
    report = f"/reports/?preset=last_12_months&municipality={world.report_municipality_id}"
    return {
        "floor /healthz": lambda n: "/healthz",
        "helper's board": lambda n: "/board",
        "coordinator's day": lambda n: "/errands/day",
        "errand + candidates": lambda n: f"/errands/{ids[n % len(ids)]}",
        "report, 1 municipality, 12 months": lambda n: report,
        # The same report calculated again on every request ("Calculate again now"): the cold path.
        "report, calculated again each time": lambda n: report + "&fresh=1",
    }


def _log_load(log, name: str, load: LoadResult) -> None:
    log(
        f"  {name}: {load.rps:.0f} req/s, p95 {load.figures()['p95_ms']} ms, errors {load.errors}"
        + (f" e.g. {load.error_samples[0]}" if load.error_samples else "")
    )


def run(helpers: int = 100_000, *, seconds: float = 10.0, clients: int = 4, log=print) -> tuple[list[Result], dict]:
    """Results per page and the memory figures of the web workers."""
    ds = ensure_dataset(Spec(helpers=helpers), log=log)
    engine = common.engine_name()
    size = ds.size_label
    server = Server(ds.url)
    results: list[Result] = []
    loads: dict[str, LoadResult] = {}
    try:
        world = ds.world
        helper_clients = _clients(server.port, clients, world.helper_email, world.password)
        coordinator_clients = _clients(server.port, clients, world.coordinator_email, world.password)
        for name, paths in page_paths(ds).items():
            who = helper_clients if name in ("helper's board", "floor /healthz") else coordinator_clients
            status, _ = who[0].request("GET", paths(0))
            if status == 404:
                results.append(Result(f"page: {name}", engine, size, {"missing": paths(0)}, "page exists", False))
                continue
            load = run_load(name, who, paths, duration=seconds)
            loads[name] = load
            _log_load(log, name, load)
            if name == "helper's board":
                # The same board asked again by a browser that kept it: 304 Not Modified.
                name = "helper's board, not modified (ETag)"
                etags = {}
                for client in who:
                    client.request("GET", paths(0))
                    etags[client] = client.last_headers.get("etag", "")
                load = run_load(
                    name,
                    who,
                    paths,
                    duration=seconds,
                    headers=lambda c, etags=etags: {"If-None-Match": etags[c]},
                    expect=304,
                )
                loads[name] = load
                _log_load(log, name, load)
        memory = {f"worker_{i + 1}_mb": common.vm_hwm_mb(pid) for i, pid in enumerate(server.worker_pids())}
        for c in helper_clients + coordinator_clients:
            c.close()
    finally:
        server.stop()

    floor = loads.get("floor /healthz")
    for name, load in loads.items():
        figures = load.figures()
        if floor is not None and name != "floor /healthz" and floor.rps:
            figures["share_of_floor"] = f"{load.rps / floor.rps:.0%}"
        target, passed = "no errors", load.errors == 0
        if name == "helper's board":
            target = f">= {TARGET_BOARD_RPS:.0f} req/s, p95 <= {TARGET_BOARD_P95_MS:.0f} ms, no errors"
            passed = passed and load.rps >= TARGET_BOARD_RPS and figures["p95_ms"] <= TARGET_BOARD_P95_MS
        elif name == "report, 1 municipality, 12 months":
            target = f"p95 <= {TARGET_REPORT_P95_MS:.0f} ms, no errors (figures kept for 10 minutes)"
            passed = passed and figures["p95_ms"] <= TARGET_REPORT_P95_MS
        result = Result(f"page: {name}", engine, size, figures, target, passed)
        if load.error_samples:
            result.notes.append("errors, e.g. " + "; ".join(load.error_samples[:2]))
        results.append(result)
    figures = dict(memory)
    figures["clients"] = clients
    peak = max((v for v in memory.values() if v is not None), default=None)
    results.append(
        Result(
            "memory: web worker (VmHWM)",
            engine,
            size,
            figures,
            f"< {TARGET_WORKER_MB:.0f} MB",
            peak is not None and peak < TARGET_WORKER_MB,
        )
    )
    return results, memory


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=10.0, help="per page")
    parser.add_argument("--clients", type=int, default=4, help="concurrent clients (2 per worker by default)")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    results, _memory = run(args.helpers, seconds=args.seconds, clients=args.clients)
    common.save_results(results)
    print(common.format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
