"""Memory: the peak resident memory of the scheduler process running every
job once (``flask --app bench.wsgi scheduler --once``) on a data set, read
from the kernel's accounting of the finished child (``wait4`` ru_maxrss, the
same figure as VmHWM). The web workers' peak is measured by
:mod:`bench.pages` during the load run.

The jobs do on the data set what the scheduler would do on that day (expire
old offers, queue reminders, send them through the outbox...).

    python -m bench.memory --helpers 1000000
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import common
from bench.common import Result
from bench.datagen import Spec
from bench.dataset import Dataset, ensure_dataset

TARGET_WORKER_MB = 200.0


def scheduler_once(ds: Dataset, *, log=print) -> Result:
    flask = Path(sys.executable).with_name("flask")
    env = dict(
        os.environ,
        BENCH_APP_DATABASE_URL=ds.url,
        PYTHONPATH=str(common.ROOT),
        # The outbox backend sends nothing; its pacing would only add sleeps.
        SMS_RATE_PER_SECOND="1000",
    )
    with tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        proc = subprocess.Popen(
            [str(flask), "--app", "bench.wsgi", "scheduler", "--once"],
            cwd=common.ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=err,
            text=True,
        )
        out = proc.stdout.read() if proc.stdout else ""
        _pid, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        seconds = time.perf_counter() - started
        err.seek(0)
        errors = err.read()
    if proc.returncode != 0:
        raise RuntimeError(f"scheduler --once failed ({proc.returncode}): {errors[-2000:]}")
    jobs = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("-").isdigit():
            jobs[parts[0]] = int(parts[1])
    peak_mb = round(usage.ru_maxrss / 1024, 1)
    figures = {"peak_rss_mb": peak_mb, "seconds": round(seconds, 1), **{f"job {k}": v for k, v in jobs.items()}}
    failed = [line for line in errors.splitlines() if "job" in line and "failed" in line]
    log(f"  scheduler --once on {ds.size_label}: peak {peak_mb} MB in {seconds:.1f} s")
    result = Result("memory: scheduler, every job once", common.engine_name(), ds.size_label, figures, "-", None)
    if failed:
        result.notes += failed[:3]
    return result


def run(helpers: int, *, log=print) -> list[Result]:
    ds = ensure_dataset(Spec(helpers=helpers), log=log)
    return [scheduler_once(ds, log=log)]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.memory", description=__doc__.split("\n\n")[0])
    parser.add_argument("--helpers", type=int, default=100_000)
    args = parser.parse_args(argv)
    results = run(args.helpers)
    common.save_results(results)
    print(common.format_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
