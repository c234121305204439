"""Pages under load: the app under gunicorn (2 sync workers, as ``make run``)
on 127.0.0.1 with the 100,000-helper data set, loaded by ``wrk`` pinned to one
core (:mod:`bench.wrk`) when it is installed, else by the Python generator of
:mod:`bench.load` (unpinned on the server's cores, its threads behind Python's
lock: it measured about half the ``/healthz`` floor wrk does); the table says
which one ran. Each page is measured for a fixed time; ``/healthz`` on the same
server is the floor of the stack. The peak memory of each web worker is read
from ``/proc/<pid>/status`` (VmHWM) afterwards.

    python -m bench.pages --helpers 100000 [--seconds 10] [--clients 4] [--generator auto|wrk|python|both]
        [--page board ...]

``--generator both`` measures every page with wrk and then with the Python
generator in the same run (the Python lines are named "... (python load)").
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
from bench.wrk import WrkResult, run_wrk, wrk_path

WORKERS = 2
NOT_MODIFIED = "helper's board, not modified (ETag)"
#: Issue 15's targets per page: the least share of the /healthz floor measured by the same
#: generator in the same run, and the highest p95 in ms (None: no such target).
SHARE_TARGETS: dict[str, tuple[float | None, float | None]] = {
    "helper's board": (0.35, 25.0),
    NOT_MODIFIED: (0.60, None),
    "coordinator's day": (0.20, 60.0),
    "errand + candidates": (0.20, 40.0),
}
TARGET_REPORT_P95_MS = 500.0
TARGET_WORKER_MB = 200.0
GENERATORS = ("auto", "wrk", "python", "both")
PYTHON_GENERATOR = "python threads (http.client), unpinned"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """gunicorn serving :mod:`bench.wsgi` on a free local port."""

    def __init__(self, database_url: str, workers: int = WORKERS, name: str = "gunicorn") -> None:
        self.port = free_port()
        gunicorn = Path(sys.executable).with_name("gunicorn")
        # A report cache of its own for each run, shared by the two workers (as in production).
        self.cache_dir = tempfile.mkdtemp(prefix="arjen-bench-cache-")
        env = dict(
            os.environ, BENCH_APP_DATABASE_URL=database_url, PYTHONPATH=str(common.ROOT), CACHE_DIR=self.cache_dir
        )
        common.DATA_DIR.mkdir(parents=True, exist_ok=True)
        self.log = open(common.DATA_DIR / f"{name}.log", "w")  # noqa: SIM115 - closed in stop()
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


def _log_load(log, name: str, load: LoadResult | WrkResult) -> None:
    log(
        f"  {name}: {load.rps:.0f} req/s, p95 {load.figures()['p95_ms']} ms, errors {load.errors}"
        + (f" e.g. {load.error_samples[0]}" if load.error_samples else "")
    )


def generators(choice: str = "auto") -> list[str]:
    """The load generators to run, in order: ``wrk`` when asked for or present, ``python`` otherwise."""
    if choice not in GENERATORS:
        raise ValueError(f"generator must be one of {GENERATORS}, got {choice!r}")
    if choice in ("wrk", "both") and wrk_path() is None:
        raise SystemExit("wrk is not installed (make bench installs the Debian package)")
    if choice == "auto":
        return ["wrk"] if wrk_path() else ["python"]
    return ["wrk", "python"] if choice == "both" else [choice]


def _cookie_header(client: Client) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _warm_up(clients: list[Client], paths: Callable[[int], str], requests: int = 10) -> None:
    for n in range(requests):
        clients[n % len(clients)].request("GET", paths(n))


def run(
    helpers: int = 100_000,
    *,
    seconds: float = 10.0,
    clients: int = 4,
    generator: str = "auto",
    only: list[str] | None = None,
    log=print,
) -> tuple[list[Result], dict]:
    """Results per page and the memory figures of the web workers. ``only``: the pages whose
    name holds one of these words (the floor is always measured)."""
    chosen = generators(generator)
    ds = ensure_dataset(Spec(helpers=helpers), log=log)
    engine = common.engine_name()
    size = ds.size_label
    server = Server(ds.url)
    results: list[Result] = []
    # Line name -> (page, generator, load); the Python generator's lines carry its name
    # when wrk ran too, so both stay side by side in results.json.
    loads: dict[str, tuple[str, str, LoadResult | WrkResult]] = {}
    python_cpu: dict[str, float] = {}  # the Python generator's CPU time per line (this process)
    try:
        world = ds.world
        helper_clients = _clients(server.port, clients, world.helper_email, world.password)
        coordinator_clients = _clients(server.port, clients, world.coordinator_email, world.password)
        for name, paths in page_paths(ds).items():
            if only and name != "floor /healthz" and not any(word in name for word in only):
                continue
            who = helper_clients if name in ("helper's board", "floor /healthz") else coordinator_clients
            status, _ = who[0].request("GET", paths(0))
            if status == 404:
                results.append(Result(f"page: {name}", engine, size, {"missing": paths(0)}, "page exists", False))
                continue
            for gen in chosen:
                line = name if gen == chosen[0] else f"{name} (python load)"
                if gen == "wrk":
                    _warm_up(who, paths)
                    load = run_wrk(name, server.port, [_cookie_header(c) for c in who], paths, duration=seconds)
                else:
                    cpu = time.process_time()
                    load = run_load(name, who, paths, duration=seconds)
                    python_cpu[line] = time.process_time() - cpu
                loads[line] = (name, gen, load)
                _log_load(log, line, load)
            if name == "helper's board":
                # The same board asked again by a browser that kept it: 304 Not Modified,
                # each connection sending the ETag its client was given (If-None-Match).
                etags = {}
                for client in who:
                    client.request("GET", paths(0))
                    etags[client] = client.last_headers.get("etag", "")
                for gen in chosen:
                    line = NOT_MODIFIED if gen == chosen[0] else f"{NOT_MODIFIED} (python load)"
                    if gen == "wrk":
                        load = run_wrk(
                            line,
                            server.port,
                            [_cookie_header(c) for c in who],
                            paths,
                            duration=seconds,
                            etags=[etags[c] for c in who],
                            expect=304,
                        )
                    else:
                        cpu = time.process_time()
                        load = run_load(
                            line,
                            who,
                            paths,
                            duration=seconds,
                            headers=lambda c, etags=etags: {"If-None-Match": etags[c]},
                            expect=304,
                        )
                        python_cpu[line] = time.process_time() - cpu
                    loads[line] = (NOT_MODIFIED, gen, load)
                    _log_load(log, line, load)
        memory = {f"worker_{i + 1}_mb": common.vm_hwm_mb(pid) for i, pid in enumerate(server.worker_pids())}
        for c in helper_clients + coordinator_clients:
            c.close()
    finally:
        server.stop()

    floors = {gen: load for name, gen, load in loads.values() if name == "floor /healthz"}
    for line, (name, gen, load) in loads.items():
        figures = {"generator": load.generator if gen == "wrk" else PYTHON_GENERATOR, **load.figures()}
        if line in python_cpu and load.seconds:
            figures["generator_cpu"] = f"{python_cpu[line] / load.seconds:.0%} of a core"
        floor = floors.get(gen)
        if floor is not None and name != "floor /healthz" and floor.rps:
            figures["share_of_floor"] = f"{load.rps / floor.rps:.0%}"
        target, passed = "no errors", load.errors == 0
        share = load.rps / floor.rps if floor is not None and floor.rps else 0.0
        if name in SHARE_TARGETS:
            least_share, most_p95 = SHARE_TARGETS[name]
            parts = [f">= {least_share:.0%} of the floor"] if least_share is not None else []
            parts += [f"p95 <= {most_p95:.0f} ms"] if most_p95 is not None else []
            target = ", ".join([*parts, "no errors"])
            passed = passed and (least_share is None or share >= least_share)
            passed = passed and (most_p95 is None or figures["p95_ms"] <= most_p95)
        elif name == "report, 1 municipality, 12 months":
            target = f"p95 <= {TARGET_REPORT_P95_MS:.0f} ms, no errors (figures kept for 10 minutes)"
            passed = passed and figures["p95_ms"] <= TARGET_REPORT_P95_MS
        result = Result(f"page: {line}", engine, size, figures, target, passed)
        if load.error_samples:
            result.notes.append("errors, e.g. " + "; ".join(load.error_samples[:2]))
        results.append(result)
    figures = dict(memory)
    figures["clients"] = clients
    figures["generator"] = "wrk" if chosen == ["wrk"] else "python" if chosen == ["python"] else "wrk, then python"
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
    parser.add_argument(
        "--generator",
        choices=GENERATORS,
        default="auto",
        help="load generator: wrk when installed (auto), wrk, python, or both side by side",
    )
    parser.add_argument(
        "--page", action="append", help="only the pages whose name holds this word (repeatable; e.g. board)"
    )
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    results, _memory = run(
        args.helpers, seconds=args.seconds, clients=args.clients, generator=args.generator, only=args.page
    )
    common.save_results(results)
    print(common.format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
