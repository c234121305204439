"""The compiled load generator: ``wrk`` (Debian package ``wrk``), pinned to one
core with ``taskset`` when there is one, so that it takes little of the CPU the
server under test needs (the Python generator of :mod:`bench.load` stays the
fallback when ``wrk`` is absent).

A small Lua script gives each wrk thread (one connection each) the session
cookie of its own logged-in client (and, for the 304 path, the ``ETag`` that
client was last given, sent as ``If-None-Match``), walks the list of paths,
counts every answer other than the expected status (200, or 304) as an error
and prints the figures as one JSON line. With several app nodes (``ports``) each
thread's connection goes to one of them in turn (``thread.addr`` in ``setup``).
"""

from __future__ import annotations

import json
import os
import resource
import shutil
import subprocess
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from bench.load import USER_AGENT

#: Different paths a run walks through (the errand page's ids come round again).
PATH_COUNT = 200

LUA = """
local cookies = {%(cookies)s}
local ports = {%(ports)s}
local addrs = {}
local etags = {%(etags)s}
local expect = %(expect)d
local paths = {%(paths)s}
local threads = {}
local made = 0

function setup(thread)
  made = made + 1
  if #ports > 0 then
    -- Several app nodes: each connection goes to the next one's port in turn.
    if #addrs == 0 then
      for i, port in ipairs(ports) do addrs[i] = wrk.lookup("127.0.0.1", tostring(port))[1] end
    end
    thread.addr = addrs[(made - 1) %% #addrs + 1]
  end
  thread:set("first", made)
  thread:set("cookie", cookies[(made - 1) %% #cookies + 1])
  thread:set("etag", etags[(made - 1) %% #etags + 1])
  table.insert(threads, thread)
end

function init(args)
  n = first - 1
  bad = 0
  sample = ""
  headers = {["Cookie"] = cookie, ["Accept-Language"] = "fi", ["User-Agent"] = "%(agent)s"}
  if etag ~= "" then headers["If-None-Match"] = etag end
end

function request()
  n = n + 1
  path = paths[(n - 1) %% #paths + 1]
  return wrk.format("GET", path, headers)
end

function response(status, hdrs, body)
  if status ~= expect then
    bad = bad + 1
    if sample == "" then sample = path .. ": HTTP " .. status end
  end
end

function done(summary, latency, requests)
  local not_ok, samples = 0, {}
  for _, t in ipairs(threads) do
    not_ok = not_ok + t:get("bad")
    local s = t:get("sample")
    if s ~= "" then table.insert(samples, string.format("%%q", s)) end
  end
  local e = summary.errors
  io.write(string.format(
    'WRK_JSON {"requests": %%d, "duration_us": %%d, "not_ok": %%d, "connect": %%d, "read": %%d, ' ..
    '"write": %%d, "timeout": %%d, "p50_us": %%d, "p95_us": %%d, "p99_us": %%d, "samples": [%%s]}\\n',
    summary.requests, summary.duration, not_ok, e.connect, e.read, e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99), table.concat(samples, ", ")))
end
"""


def wrk_path() -> str | None:
    return shutil.which("wrk")


def _lua_string(value: str) -> str:
    return json.dumps(value)  # a JSON string is a valid Lua string for these (ASCII) values


def _pinned(command: list[str]) -> tuple[list[str], str]:
    """``command`` under ``taskset -c <one core>`` when taskset and more than one core exist."""
    taskset = shutil.which("taskset")
    cores = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if taskset and len(cores) > 1:
        return [taskset, "-c", str(cores[-1]), *command], f"pinned to core {cores[-1]} of {len(cores)}"
    return command, "not pinned"


@dataclass
class WrkResult:
    """The same figures as :class:`bench.load.LoadResult`, from wrk's own histogram."""

    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    cpu_seconds: float = 0.0  # wrk's own CPU time (user + system)
    generator: str = "wrk"
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def figures(self) -> dict:
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": self.p50_ms,
            "p95_ms": self.p95_ms,
            "p99_ms": self.p99_ms,
            "errors": self.errors,
            "generator_cpu": f"{self.cpu_seconds / self.seconds:.0%} of a core" if self.seconds else "?",
        }


def run_wrk(
    name: str,
    port: int,
    cookie_headers: list[str],
    paths: Callable[[int], str],
    *,
    duration: float = 10.0,
    etags: list[str] | None = None,
    expect: int = 200,
    ports: list[int] | None = None,
) -> WrkResult:
    """``wrk`` against 127.0.0.1:``port`` for ``duration`` s: one thread and one connection
    per cookie (each a logged-in client), GET ``paths(0..)`` in turn; ``etags``: one per
    cookie, sent as ``If-None-Match`` on that connection; ``expect``: the status that is
    not an error; ``ports``: several app nodes, the connections spread over them in turn
    (each node gets every len(ports)-th connection)."""
    wrk = wrk_path()
    if wrk is None:
        raise RuntimeError("wrk is not installed")
    clients = max(1, len(cookie_headers))
    script = LUA % {
        "cookies": ", ".join(_lua_string(c) for c in cookie_headers) or '""',
        "etags": ", ".join(_lua_string(e) for e in (etags or [""])),
        "expect": expect,
        "ports": ", ".join(str(p) for p in ports or []),
        "paths": ", ".join(_lua_string(paths(n)) for n in range(PATH_COUNT)),
        "agent": USER_AGENT,  # the login's: a session is bound to its browser (session protection)
    }
    with tempfile.NamedTemporaryFile("w", suffix=".lua", prefix="arjen-bench-", delete=False) as f:
        f.write(script)
    try:
        command, pinning = _pinned(
            [
                wrk,
                "--threads",
                str(clients),
                "--connections",
                str(clients),
                "--duration",
                f"{max(1, round(duration))}s",
                "--timeout",
                "60s",
                "--script",
                f.name,
                f"http://127.0.0.1:{port}/",
            ]
        )
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 120, check=False)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
    finally:
        Path(f.name).unlink(missing_ok=True)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("WRK_JSON ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}): {done.stderr.strip() or done.stdout.strip()}")
    data = json.loads(line.removeprefix("WRK_JSON "))
    socket_errors = data["connect"] + data["read"] + data["write"] + data["timeout"]
    samples = list(data["samples"])
    if socket_errors:
        samples.append(
            f"socket errors: connect {data['connect']}, read {data['read']}, write {data['write']},"
            f" timeout {data['timeout']}"
        )
    return WrkResult(
        name,
        requests=data["requests"],
        errors=data["not_ok"] + socket_errors,
        seconds=data["duration_us"] / 1e6,
        p50_ms=round(data["p50_us"] / 1000.0, 2),
        p95_ms=round(data["p95_us"] / 1000.0, 2),
        p99_ms=round(data["p99_us"] / 1000.0, 2),
        cpu_seconds=(after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime),
        generator=f"wrk, {clients} connections"
        + (f" over {len(ports)} nodes" if ports and len(ports) > 1 else "")
        + f", {pinning}",
        error_samples=samples,
    )
