"""SMS duplicates after a crash: the real scheduler process is killed with
SIGKILL in the middle of 200-message batches, started again, and the texts
the fake Twilio received twice are counted.

Each batch: 200 messages are queued (each to its own number, each with its
own text); a scheduler process (:class:`app.scheduling.process.SchedulerRunner`,
the code behind ``flask --app wsgi scheduler``, running only the
``sms-dispatch`` job) sends them through the real twilio client to the fake
Twilio (``tests/fakes/twilio_server.py``, answering after ``--latency``); it is
killed ``--kills`` times at random points of the batch (after a random number
of texts reached the fake) and started again at once; then it runs until no
message is left to send. A text the fake stored twice is a duplicate; a
message not ``sent`` at the end is lost. No status callbacks reach the app
(the worst case: callbacks lost, or the web app down at the same time).

``--outage SECONDS`` (PostgreSQL only) replaces the kills with database
outages: the scheduler reaches PostgreSQL through a TCP proxy in this process,
which, at a random point of each batch, cuts every connection and refuses new
ones for that many seconds; the scheduler is not killed.

``--source DIR`` runs the scheduler from another checkout (e.g. the code
before the change: ``git worktree add /tmp/before 96bda3d``); the harness,
the schema and the fake stay this checkout's.

    python -m bench.crash [--batches 10] [--kills 3] [--latency 0.1] [--rate 50]
    BENCH_DATABASE_URL=postgresql+psycopg://... python -m bench.crash --outage 25

Prints one line of figures (and ``--json`` writes them to a file).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import random
import selectors
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from bench import common

DATASET = "crash"
FROM_NUMBER = "+358401234567"
WAIT_LIMIT_S = 300.0

# The scheduler process: the code of ``--source`` (sys.path[0]), settings as arguments (JSON).
WORKER = """
import json, logging, sys
sys.path.insert(0, sys.argv[1])
settings = json.loads(sys.argv[2])
logging.basicConfig(level=logging.WARNING, format="worker %(levelname)s %(name)s: %(message)s")
from bench.common import build_app
from app.scheduling.jobs import JOBS
from app.scheduling.process import SchedulerRunner
app = build_app(settings.pop("SQLALCHEMY_DATABASE_URI"), **settings)
print("ready", flush=True)
SchedulerRunner(app, jobs=tuple(j for j in JOBS if j.id == "sms-dispatch")).run()
"""


class Worker:
    """One scheduler process."""

    def __init__(self, source: Path, settings: dict[str, Any]) -> None:
        self.source, self.settings = source, settings
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", WORKER, str(self.source), json.dumps(self.settings)],
            cwd=self.source,
            stdout=subprocess.PIPE,
            stderr=None if os.environ.get("BENCH_VERBOSE") else subprocess.DEVNULL,
        )
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()  # the app is built: what follows is the scheduler
        if not line.startswith(b"ready"):
            raise SystemExit(f"the scheduler process did not start (exit {self.proc.wait()})")

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait()
            self.proc = None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
            self.proc = None


class OutageProxy:
    """A TCP proxy to PostgreSQL that can drop every connection and refuse new ones for a while."""

    def __init__(self, target: tuple[str, int]) -> None:
        self.target = target
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.down_until = 0.0
        self._pairs: list[tuple[socket.socket, socket.socket]] = []
        self._lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def outage(self, seconds: float) -> None:
        with self._lock:
            self.down_until = time.monotonic() + seconds
            pairs, self._pairs = self._pairs, []
        for a, b in pairs:
            for s in (a, b):
                with contextlib.suppress(OSError):
                    s.shutdown(socket.SHUT_RDWR)

    def _accept(self) -> None:
        while True:
            client, _ = self.listener.accept()
            if time.monotonic() < self.down_until:
                client.close()  # the database is "down": connection refused/closed
                continue
            try:
                server = socket.create_connection(self.target)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._pairs.append((client, server))
            threading.Thread(target=self._pipe, args=(client, server), daemon=True).start()

    @staticmethod
    def _pipe(a: socket.socket, b: socket.socket) -> None:
        sel = selectors.DefaultSelector()
        sel.register(a, selectors.EVENT_READ, b)
        sel.register(b, selectors.EVENT_READ, a)
        try:
            while True:
                for key, _ in sel.select():
                    data = key.fileobj.recv(65536)  # type: ignore[union-attr]
                    if not data:
                        return
                    key.data.sendall(data)
        except OSError:
            return
        finally:
            for s in (a, b):
                s.close()


def _prepare(url: str) -> None:
    common.reset_dataset(DATASET)
    app = common.build_app(url)
    logging.getLogger("alembic").setLevel(logging.WARNING)
    with app.app_context():
        from flask_migrate import upgrade

        from app.extensions import db

        upgrade()
        db.engine.dispose()


def _queue(engine: sa.Engine, batch: int, n: int) -> None:
    from app.models import SmsMessage, utcnow

    rows = [
        {
            "direction": "out",
            "kind": "manual",
            "to_phone": f"+35840{batch * 1000 + i:07d}",
            "body": f"Arjen pelastajat: muistutus {batch}-{i}",
            "language": "fi",
            "dedupe_key": f"crash:{batch}:{i}",
            "status": "queued",
            "attempts": 0,
            "next_attempt_at": utcnow(),
            "handled": False,
            "created_at": utcnow(),
            "updated_at": utcnow(),
        }
        for i in range(n)
    ]
    with engine.begin() as conn:
        conn.execute(sa.insert(SmsMessage), rows)


def _left(engine: sa.Engine, batch: int) -> int:
    from app.models import SmsMessage

    with engine.connect() as conn:
        return conn.scalar(
            sa.select(sa.func.count())
            .select_from(SmsMessage)
            .where(SmsMessage.dedupe_key.like(f"crash:{batch}:%"), SmsMessage.status.in_(("queued", "held", "sending")))
        )


def run(args: argparse.Namespace, log=print) -> dict[str, Any]:
    from tests.fakes.twilio_server import FakeTwilio

    url = common.dataset_url(DATASET)
    postgres = url.startswith("postgresql")
    if args.outage and not postgres:
        raise SystemExit("--outage needs PostgreSQL (BENCH_DATABASE_URL)")
    _prepare(url)
    engine = sa.create_engine(url)
    worker_url = url
    proxy = None
    if args.outage:
        parsed = sa.engine.make_url(url)
        proxy = OutageProxy((parsed.host or "127.0.0.1", parsed.port or 5432))
        worker_url = url.replace(f"{parsed.host}:{parsed.port or 5432}", f"127.0.0.1:{proxy.port}", 1)
    rng = random.Random(args.seed)
    source = Path(args.source).resolve() if args.source else common.ROOT
    lock_file = Path(tempfile.mkdtemp(prefix="crash-bench-")) / "scheduler.lock"
    totals = Counter()
    started = time.monotonic()
    with FakeTwilio(delay_seconds=args.latency) as fake:
        settings = {
            "SQLALCHEMY_DATABASE_URI": worker_url,
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_FROM": FROM_NUMBER,
            "TWILIO_API_BASE_URL": fake.base_url,
            "TWILIO_TIMEOUT": 2.0,
            "SMS_RATE_PER_SECOND": args.rate,
            "SMS_UNKNOWN_RECHECK_SECONDS": args.recheck,
            "SCHEDULER_DISPATCH_SECONDS": 0.5,
            "SCHEDULER_LOCK_FILE": str(lock_file),
            "SCHEDULER_LOCK_KEY": 781_013,
            "SCHEDULER_LOCK_RETRY_SECONDS": 0.2,
        }
        worker = Worker(source, settings)
        for batch in range(args.batches):
            _queue(engine, batch, args.messages)
            prefix = f"muistutus {batch}-"

            def received(prefix: str = prefix) -> int:
                return sum(1 for m in fake.messages if prefix in m["body"])

            worker.start()
            events = args.kills if not args.outage else 1
            # Random points of the batch, in order, at least a few texts apart.
            points = sorted(rng.sample(range(5, args.messages - 5), events))
            for point in points:
                deadline = time.monotonic() + WAIT_LIMIT_S
                while received() < point and time.monotonic() < deadline:
                    time.sleep(0.002)
                if args.outage:
                    proxy.outage(args.outage)  # type: ignore[union-attr]
                    totals["outages"] += 1
                else:
                    worker.kill()
                    totals["kills"] += 1
                    worker.start()
            deadline = time.monotonic() + WAIT_LIMIT_S
            while _left(engine, batch) and time.monotonic() < deadline:
                time.sleep(0.2)
            worker.stop()
            copies = Counter(m["body"] for m in fake.messages if prefix in m["body"])
            dups = sum(c - 1 for c in copies.values())
            lost = args.messages - len(copies)
            totals["messages"] += args.messages
            totals["duplicates"] += dups
            totals["lost"] += lost
            totals["lookups"] = len(fake.list_requests)
            log(f"  batch {batch + 1}/{args.batches}: duplicates={dups} lost={lost} left={_left(engine, batch)}")
    engine.dispose()
    figures = {
        "engine": "postgresql" if postgres else "sqlite",
        "source": str(source),
        "case": f"database outage {args.outage:g} s" if args.outage else "SIGKILL",
        "messages": totals["messages"],
        "kills": totals["kills"],
        "outages": totals["outages"],
        "duplicates": totals["duplicates"],
        "duplicates_per_1000": round(1000 * totals["duplicates"] / max(1, totals["messages"]), 1),
        "lost": totals["lost"],
        "provider_lookups": totals["lookups"],
        "latency_s": args.latency,
        "rate_per_s": args.rate,
        "seconds": round(time.monotonic() - started, 1),
    }
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.crash", description=__doc__.split("\n\n")[0])
    parser.add_argument("--batches", type=int, default=10, help="batches of --messages (default 10)")
    parser.add_argument("--messages", type=int, default=200, help="messages per batch (default 200)")
    parser.add_argument("--kills", type=int, default=3, help="SIGKILLs per batch (default 3)")
    parser.add_argument("--outage", type=float, default=0.0, help="database outage of this many seconds per batch")
    parser.add_argument("--latency", type=float, default=0.1, help="fake Twilio's answer time, s (default 0.1)")
    parser.add_argument("--rate", type=float, default=50.0, help="SMS_RATE_PER_SECOND (default 50)")
    parser.add_argument("--recheck", type=float, default=5.0, help="SMS_UNKNOWN_RECHECK_SECONDS (default 5)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--source", help="run the scheduler from this checkout (default: this one)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args(argv)
    logging.getLogger().setLevel(logging.WARNING)
    figures = run(args)
    print(json.dumps(figures))
    if args.json:
        Path(args.json).write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
