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


class _EtagHandler(BaseHTTPRequestHandler):
    seen: set[tuple[str, str]] = set()

    def do_GET(self) -> None:  # noqa: N802 - the http.server name
        cookie, etag = self.headers.get("Cookie", ""), self.headers.get("If-None-Match", "")
        _EtagHandler.seen.add((cookie, etag))
        # 304 only when the connection sends the ETag of its own cookie.
        self.send_response(304 if etag == f'"{cookie}-tag"' else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args) -> None:
        pass


@pytest.mark.skipif(wrk.wrk_path() is None, reason="wrk is not installed (make bench installs it)")
def test_wrk_sends_each_connections_etag_and_expects_304():
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EtagHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        port = server.server_address[1]
        cookies = ["s=one", "s=two"]
        result = wrk.run_wrk(
            "test", port, cookies, lambda n: "/", duration=1, etags=['"s=one-tag"', '"s=two-tag"'], expect=304
        )
        # A wrong ETag gets 200: every answer counts as an error when 304 is expected.
        wrong = wrk.run_wrk("test", port, ["s=one"], lambda n: "/", duration=1, etags=['"other"'], expect=304)
    finally:
        server.shutdown()
        server.server_close()
    assert result.requests > 10 and result.errors == 0
    assert {("s=one", '"s=one-tag"'), ("s=two", '"s=two-tag"')} <= _EtagHandler.seen
    assert wrong.requests > 0 and wrong.errors == wrong.requests


@pytest.mark.skipif(wrk.wrk_path() is None, reason="wrk is not installed (make bench installs it)")
def test_wrk_spreads_its_connections_over_several_nodes():
    servers = [ThreadingHTTPServer(("127.0.0.1", 0), _Handler) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    seen: dict[int, int] = {}
    try:
        for server in servers:
            port = server.server_address[1]
            base = server.RequestHandlerClass.do_GET

            def counting(handler, port=port, base=base):
                seen[port] = seen.get(port, 0) + 1
                base(handler)

            server.RequestHandlerClass = type(f"Counting{port}", (_Handler,), {"do_GET": counting})
        ports = [s.server_address[1] for s in servers]
        result = wrk.run_wrk("test", ports[0], ["s=one", "s=two"], lambda n: "/ok", duration=1, ports=ports)
    finally:
        for server in servers:
            server.shutdown()
            server.server_close()
    assert result.errors == 0 and result.requests > 10
    assert set(seen) == set(ports) and all(n > 5 for n in seen.values())
    assert "over 2 nodes" in result.generator
