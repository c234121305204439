"""The page benchmark's load generators: wrk when installed, the Python one as the
fallback; wrk's Lua script sends each connection's cookie and counts every answer
other than 200 as an error."""

from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from bench import pages, wrk


class _Handler(BaseHTTPRequestHandler):
    cookies: set[str] = set()

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        _Handler.cookies.add(self.headers.get("Cookie", ""))
        status = 200 if self.path == "/ok" else 404
        self.send_response(status)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args) -> None:
        pass


def test_auto_falls_back_to_the_python_generator_without_wrk(monkeypatch):
    monkeypatch.setattr(pages, "wrk_path", lambda: None)
    assert pages.generators("auto") == ["python"]
    assert pages.generators("python") == ["python"]
    with pytest.raises(SystemExit):
        pages.generators("both")
    monkeypatch.setattr(pages, "wrk_path", lambda: "/usr/bin/wrk")
    assert pages.generators("auto") == ["wrk"]
    assert pages.generators("both") == ["wrk", "python"]


@pytest.mark.skipif(wrk.wrk_path() is None, reason="wrk is not installed (make bench installs it)")
def test_wrk_counts_requests_errors_and_sends_each_cookie():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result = wrk.run_wrk(
            "test", server.server_address[1], ["s=one", "s=two"], lambda n: "/ok" if n % 2 else "/no", duration=1
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.requests > 10
    # Every other request of each connection is the missing page.
    assert abs(result.errors - result.requests / 2) <= 2
    assert any("/no: HTTP 404" in sample for sample in result.error_samples)
    assert {"s=one", "s=two"} <= _Handler.cookies
    assert result.rps > 0 and 0 <= result.p50_ms <= result.p95_ms <= result.p99_ms and result.p99_ms > 0
    assert result.generator.startswith("wrk, 2 connections")
