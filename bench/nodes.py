"""Two app nodes, one database (issue 15): the helper's board under ``wrk`` on
one gunicorn node, then on two, in the same run.

Each node is a gunicorn server with 2 sync workers (as ``make run``) serving
:mod:`bench.wsgi` on its own port, with the same database (PostgreSQL with
``BENCH_DATABASE_URL``) and the same Redis (``BENCH_REDIS_URL``: the board's and
the reports' cache, the rate limits), as several app nodes behind a load
balancer run. wrk (pinned to one core, :mod:`bench.wrk`) keeps the same number
of connections in both runs; with two nodes its Lua script sends every other
connection to the second node's port. ``/healthz`` is measured the same way,
so the table shows the floor's ratio beside the board's.

On a 2-core machine the two nodes share the cores the one node had: the ratio
shows what a second node adds on the same machine (the requests' waits on the
database and Redis overlap more), not what a second machine would.

    python -m bench.nodes --helpers 100000 [--seconds 5] [--clients 8]
"""

from __future__ import annotations

import argparse
import logging
import os
import sys

from bench import common
from bench.common import Result
from bench.datagen import Spec
from bench.dataset import ensure_dataset
from bench.load import Client
from bench.pages import Server
from bench.wrk import WrkResult, run_wrk, wrk_path

#: The lines of one run: the page and its path.
PAGES = {"floor /healthz": "/healthz", "helper's board": "/board"}


def _cookie_header(client: Client) -> str:
    return "; ".join(f"{k}={v}" for k, v in client.cookies.items())


def _figures(load: WrkResult) -> dict:
    return {"generator": load.generator, **load.figures()}


def run(helpers: int = 100_000, *, seconds: float = 5.0, clients: int = 8, log=print) -> list[Result]:
    engine = common.engine_name()
    redis_url = os.environ.get("BENCH_REDIS_URL", "").strip()
    if not redis_url or wrk_path() is None:
        missing = "BENCH_REDIS_URL (the nodes' shared Redis)" if not redis_url else "wrk"
        log(f"  two nodes: skipped, needs {missing}")
        return [Result("two app nodes: board", engine, "-", {"skipped": f"needs {missing}"}, "runs", None)]
    ds = ensure_dataset(Spec(helpers=helpers), log=log)
    world = ds.world
    servers: list[Server] = []
    loads: dict[tuple[str, int], WrkResult] = {}
    try:
        servers.append(Server(ds.url, name="gunicorn-node-1"))
        first = servers[0]
        logged_in = []
        for _ in range(clients):
            client = Client("127.0.0.1", first.port)
            client.login(world.helper_email, world.password)
            logged_in.append(client)
        cookies = [_cookie_header(c) for c in logged_in]
        for c in logged_in:
            c.close()
        for nodes in (1, 2):
            if nodes == 2:
                servers.append(Server(ds.url, name="gunicorn-node-2"))
            ports = [s.port for s in servers]
            for name, path in PAGES.items():
                # A short warm-up on every node (first-use caches, the board's kept rows), then the run.
                run_wrk(name, first.port, cookies, lambda n, path=path: path, duration=1, ports=ports)
                load = run_wrk(name, first.port, cookies, lambda n, path=path: path, duration=seconds, ports=ports)
                loads[(name, nodes)] = load
                log(f"  {name}, {nodes} node(s): {load.rps:.0f} req/s, p95 {load.p95_ms} ms, errors {load.errors}")
    finally:
        for server in servers:
            server.stop()

    size = ds.size_label
    results = []
    for (name, nodes), load in loads.items():
        figures = _figures(load)
        one = loads.get((name, 1))
        if nodes == 2 and one is not None and one.rps:
            figures["two_nodes_vs_one"] = f"{load.rps / one.rps:.2f}x"
        floor = loads.get(("floor /healthz", nodes))
        if name != "floor /healthz" and floor is not None and floor.rps:
            figures["share_of_floor"] = f"{load.rps / floor.rps:.0%}"
        label = "one node" if nodes == 1 else "two nodes"
        results.append(Result(f"two app nodes: {name}, {label}", engine, size, figures, "no errors", load.errors == 0))
    return results


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.nodes", description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, default=100_000)
    parser.add_argument("--seconds", type=float, default=5.0, help="per page and number of nodes")
    parser.add_argument("--clients", type=int, default=8, help="wrk connections, the same in both runs")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    results = run(args.helpers, seconds=args.seconds, clients=args.clients)
    common.save_results(results)
    print(common.format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
