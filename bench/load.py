"""A small HTTP load generator: threads with keep-alive ``http.client``
connections (reopened when the server closes them, as gunicorn's sync workers
do), bounded in time and in number of requests, recording every latency.

Each client logs in once through the real login form (CSRF token included)
and keeps its session cookie.
"""

from __future__ import annotations

import http.client
import re
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from itertools import count
from urllib.parse import urlencode

from bench.common import median, ms, percentile

CSRF_RE = re.compile(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"')
USER_AGENT = "arjen-bench/1.0"


class Client:
    """One browser-like client: a connection and a cookie jar."""

    def __init__(self, host: str, port: int, timeout: float = 30.0) -> None:
        self.host, self.port, self.timeout = host, port, timeout
        self.conn = http.client.HTTPConnection(host, port, timeout=timeout)
        self.cookies: dict[str, str] = {}
        self.last_headers: dict[str, str] = {}  # of the last response, names in lower case

    def _headers(self, extra: dict[str, str] | None = None) -> dict[str, str]:
        headers = {"User-Agent": USER_AGENT, "Accept-Language": "fi", "Connection": "keep-alive"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        headers.update(extra or {})
        return headers

    def request(self, method: str, path: str, body: str | None = None, headers: dict | None = None):
        """(status, body bytes); reconnects once if the server had closed an idle connection."""
        for attempt in (1, 2):
            try:
                self.conn.request(method, path, body=body, headers=self._headers(headers))
                response = self.conn.getresponse()
                data = response.read()
                break
            except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError):
                self.conn.close()
                if attempt == 2:
                    raise
        self.last_headers = {name.lower(): value for name, value in response.getheaders()}
        for name, value in response.getheaders():
            if name.lower() == "set-cookie":
                pair = value.split(";", 1)[0]
                key, _, val = pair.partition("=")
                if val:
                    self.cookies[key.strip()] = val.strip()
                else:
                    self.cookies.pop(key.strip(), None)
        if response.will_close:
            self.conn.close()
        return response.status, data

    def login(self, email: str, password: str) -> None:
        status, html = self.request("GET", "/auth/login")
        match = CSRF_RE.search(html.decode("utf-8", "replace"))
        if status != 200 or not match:
            raise RuntimeError(f"no login form (HTTP {status})")
        form = urlencode({"csrf_token": match.group(1), "email": email, "password": password})
        status, _ = self.request("POST", "/auth/login", form, {"Content-Type": "application/x-www-form-urlencoded"})
        if status != 302:
            raise RuntimeError(f"login as {email} failed (HTTP {status})")

    def close(self) -> None:
        self.conn.close()


@dataclass
class LoadResult:
    name: str
    requests: int = 0
    errors: int = 0
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)
    statuses: Counter = field(default_factory=Counter)
    error_samples: list[str] = field(default_factory=list)

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds else 0.0

    def figures(self) -> dict:
        lat = self.latencies
        return {
            "requests": self.requests,
            "rps": round(self.rps, 1),
            "p50_ms": ms(median(lat)),
            "p95_ms": ms(percentile(lat, 95)),
            "p99_ms": ms(percentile(lat, 99)),
            "errors": self.errors,
        }


def run_load(
    name: str,
    clients: list[Client],
    paths: Callable[[int], str],
    *,
    duration: float = 10.0,
    max_requests: int = 20_000,
    warmup: int = 10,
    headers: Callable[[Client], dict] | None = None,
    expect: int = 200,
) -> LoadResult:
    """Each client sends GET ``paths(n)`` back to back until ``duration`` s or ``max_requests`` in all
    (with ``headers(client)``, e.g. its ``If-None-Match``); a status other than ``expect`` is an error."""
    result = LoadResult(name)
    lock = threading.Lock()
    numbers = count()
    for client in clients:  # warm up every worker and connection (not counted)
        for n in range(warmup // max(1, len(clients)) + 1):
            client.request("GET", paths(n), headers=headers(client) if headers else None)
    start_gate = threading.Barrier(len(clients) + 1)
    deadline = [0.0]

    def worker(client: Client) -> None:
        lat: list[float] = []
        statuses: Counter = Counter()
        errors: list[str] = []
        extra = headers(client) if headers else None
        start_gate.wait()
        while True:
            n = next(numbers)
            if n >= max_requests or time.perf_counter() >= deadline[0]:
                break
            path = paths(n)
            t0 = time.perf_counter()
            try:
                status, _body = client.request("GET", path, headers=extra)
            except Exception as exc:  # noqa: BLE001 - every failure is counted as an error
                status = 0
                errors.append(f"{path}: {type(exc).__name__}: {exc}")
            lat.append(time.perf_counter() - t0)
            statuses[status] += 1
            if status != expect and len(errors) < 3:
                errors.append(f"{path}: HTTP {status}")
        with lock:
            result.latencies += lat
            result.statuses.update(statuses)
            result.error_samples += errors[:3]

    threads = [threading.Thread(target=worker, args=(c,), daemon=True) for c in clients]
    for t in threads:
        t.start()
    started = time.perf_counter()
    deadline[0] = started + duration
    start_gate.wait()
    for t in threads:
        t.join()
    result.seconds = time.perf_counter() - started
    result.requests = sum(result.statuses.values())
    result.errors = sum(v for k, v in result.statuses.items() if k != expect)
    return result
