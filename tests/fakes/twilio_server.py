"""A fake Twilio REST API on 127.0.0.1 for tests (no internet needed).

It speaks the real wire protocol of the Messages resource, so the real
``twilio`` client library can talk to it:

* ``POST /2010-04-01/Accounts/{AccountSid}/Messages.json`` with HTTP Basic auth
  (AccountSid:AuthToken) and form fields To, From or MessagingServiceSid, Body,
  StatusCallback -> 201 with a message resource (sid "SM" + 32 hex, status
  "queued", or "accepted" when sent through a Messaging Service without From).
* ``GET /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`` -> 200 or 404.
* ``DELETE /2010-04-01/Accounts/{AccountSid}/Messages/{Sid}.json`` -> 204 with
  no body (the message is gone from the log, body and numbers included) or
  404/20404 when there is no such message. ``receive(from_, body)`` stores an
  incoming message (direction "inbound"), as Twilio keeps those too.
* ``GET /2010-04-01/Accounts/{AccountSid}/Messages.json`` lists messages,
  newest first, filtered by ``To``, ``From``, ``DateSent``, ``DateSent<`` and
  ``DateSent>`` (``YYYY-MM-DD``: on, on or before, on or after that day; a
  full ``YYYY-MM-DDTHH:MM:SSZ`` compares the instant), paged with
  ``PageSize`` (default 50, at most 1000), ``Page`` and ``PageToken``; the
  answer carries the real paging fields (``messages``, ``page``,
  ``page_size``, ``start``, ``end``, ``uri``, ``first_page_uri``,
  ``next_page_uri``, ``previous_page_uri``), so the client's ``list`` and
  ``stream`` page through it. A stored message is handed to the "carrier" at
  once: the create answer says "queued" (or "accepted") with no
  ``date_sent``, later reads say "sent" with ``date_sent`` set.
* ``POST /2010-04-01/Accounts/{AccountSid}/Calls.json`` (Programmable Voice)
  with To, From, Url or Twiml, Method, StatusCallback, StatusCallbackMethod,
  StatusCallbackEvent and MachineDetection -> 201 with a real-shaped call
  resource (sid "CA" + 32 hex, status "queued"); ``GET .../Calls/{Sid}.json``
  reads it back. Missing To 21201, To not E.164 21211, missing From 21213,
  neither Url nor Twiml 21205. ``calls`` holds what was asked, with the
  TwiML URL and status callback, so a test can play Twilio's part.
* Errors use Twilio's JSON body ``{"code", "message", "more_info", "status"}``:
  wrong credentials 401/20003, other account 404/20404, To not E.164 400/21211,
  opted-out recipient 400/21610, missing To 21604, missing From 21603, missing
  Body 21602, body over 1600 characters 21617.

Fault injection: ``fail_delete_next(n, status=503)`` (the next deletions),
``fail_next(n, status=500)`` (or 429, 503...), ``fail_rate``
(random, seeded), ``delay_seconds`` (every request), ``timeout_next(n)`` (sleep
longer than the client's timeout; by default the message is still accepted, as
a real API may do when only the answer is lost, so duplicates can be counted).

Concurrency: every recorded request has ``started`` and ``at`` (when its
answer was ready, ``time.monotonic()``), and ``max_in_flight`` is the largest
number of requests the server was handling at the same moment.

Usage::

    with FakeTwilio(opted_out={"+358401111111"}) as fake:
        backend = TwilioBackend(fake.account_sid, fake.auth_token,
                                from_number="+358400000000", api_base_url=fake.base_url)
        ...
        assert len(fake.messages) == 1
"""

from __future__ import annotations

import base64
import json
import random
import re
import threading
import time
import uuid
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import phonenumbers

from app.sms.segments import segment_count

API_VERSION = "2010-04-01"
DEFAULT_ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
DEFAULT_AUTH_TOKEN = "fake-auth-token-0123456789abcdef"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_MESSAGES = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages\.json$")
_MESSAGE = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Messages/(?P<sid>[^/]+)\.json$")
_CALLS = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Calls\.json$")
_CALL = re.compile(rf"^/{API_VERSION}/Accounts/(?P<account>[^/]+)/Calls/(?P<sid>[^/]+)\.json$")

_ERROR_TEXT = {
    401: (20003, "Authenticate"),
    404: (20404, "The requested resource was not found"),
    429: (20429, "Too Many Requests"),
    500: (20500, "An internal server error has occurred"),
    502: (20500, "Bad Gateway"),
    503: (20503, "Service Unavailable"),
}


@dataclass
class RecordedRequest:
    method: str
    path: str
    form: dict[str, list[str]]
    headers: dict[str, str]
    status: int
    at: float = field(default_factory=time.monotonic)  # when the answer was ready
    started: float | None = None  # when the request arrived (time.monotonic())


class _Server(ThreadingHTTPServer):
    # The default listen backlog (5) drops connection attempts when a client opens
    # several at once (a concurrent dispatcher); a dropped SYN is retried only after
    # a second, which the client sees as a connect timeout.
    request_queue_size = 128


class FakeTwilio:
    """Context manager running the fake API in a daemon thread on an ephemeral port."""

    def __init__(
        self,
        account_sid: str = DEFAULT_ACCOUNT_SID,
        auth_token: str = DEFAULT_AUTH_TOKEN,
        *,
        opted_out: set[str] | frozenset[str] | list[str] | tuple[str, ...] = (),
        fail_rate: float = 0.0,
        fail_rate_status: int = 500,
        seed: int = 0,
        delay_seconds: float = 0.0,
        timeout_sleep_seconds: float = 3.0,
    ) -> None:
        self.account_sid = account_sid
        self.auth_token = auth_token
        self.opted_out: set[str] = set(opted_out)
        self.fail_rate = fail_rate
        self.fail_rate_status = fail_rate_status
        self.delay_seconds = delay_seconds
        self.timeout_sleep_seconds = timeout_sleep_seconds
        self._random = random.Random(seed)
        self._lock = threading.Lock()
        self._messages: list[dict[str, Any]] = []
        self._calls: list[dict[str, Any]] = []
        self._requests: list[RecordedRequest] = []
        self._fail_queue: list[int] = []
        self._timeout_queue: list[bool] = []
        self._list_fail_queue: list[int] = []
        self._delete_fail_queue: list[int] = []
        self._deleted: list[str] = []
        self._in_flight = 0
        self._max_in_flight = 0
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle ---------------------------------------------------------

    def start(self) -> FakeTwilio:
        if self._server is not None:
            return self
        handler = type("_BoundHandler", (_Handler,), {"fake": self})
        self._server = _Server(("127.0.0.1", 0), handler)
        self._server.daemon_threads = True
        self._stopping.clear()
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, name="fake-twilio", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping.set()  # wakes handlers sleeping in timeout_next
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> FakeTwilio:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("FakeTwilio is not running")
        return self._server.server_address[1]

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    # -- fault injection ---------------------------------------------------

    def fail_next(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` message creations answer ``status`` (e.g. 500, 503, 429) and store nothing."""
        with self._lock:
            self._fail_queue.extend([status] * n)

    def timeout_next(self, n: int = 1, *, accept: bool = True) -> None:
        """The next ``n`` message creations sleep ``timeout_sleep_seconds`` before answering.

        With ``accept=True`` (default) the message is stored anyway, like an API
        that did its work but whose answer never reached the client.
        """
        with self._lock:
            self._timeout_queue.extend([accept] * n)

    def fail_list_next(self, n: int = 1, status: int = 500) -> None:
        """The next ``n`` message lists answer ``status`` (e.g. 500, 503)."""
        with self._lock:
            self._list_fail_queue.extend([status] * n)

    def fail_delete_next(self, n: int = 1, status: int = 503) -> None:
        """The next ``n`` message deletions answer ``status`` and delete nothing."""
        with self._lock:
            self._delete_fail_queue.extend([status] * n)

    def receive(self, from_: str, body: str, to: str = "+358451230000") -> str:
        """Store an incoming message, as Twilio's log holds one (returns its sid)."""
        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC), usegmt=False).replace("-0000", "+0000")
        message = {
            "account_sid": self.account_sid,
            "api_version": API_VERSION,
            "body": body,
            "date_created": now,
            "date_sent": now,
            "date_updated": now,
            "direction": "inbound",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": None,
            "num_media": "0",
            "num_segments": str(segment_count(body)),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "received",
            "subresource_uris": {},
            "to": to,
            "uri": f"/{API_VERSION}/Accounts/{self.account_sid}/Messages/{sid}.json",
            "status_callback": None,
        }
        with self._lock:
            self._messages.append(message)
        return sid

    @property
    def deleted(self) -> list[str]:
        """The sids deleted through the API, in order (a copy)."""
        with self._lock:
            return list(self._deleted)

    @property
    def delete_requests(self) -> list[RecordedRequest]:
        """The message deletions received, refused ones included."""
        return [r for r in self.requests if r.method == "DELETE"]

    def age_messages(self, **delta: float) -> None:
        """Move every stored message's dates back by ``timedelta(**delta)`` (e.g. ``hours=1``)."""
        shift = timedelta(**delta)
        with self._lock:
            for message in self._messages:
                for key in ("date_created", "date_sent", "date_updated"):
                    if message[key]:
                        moved = parsedate_to_datetime(message[key]) - shift
                        message[key] = format_datetime(moved.astimezone(UTC), usegmt=False).replace("-0000", "+0000")

    # -- inspection --------------------------------------------------------

    @property
    def messages(self) -> list[dict[str, Any]]:
        """Every accepted message resource, oldest first (a copy)."""
        with self._lock:
            return [dict(m) for m in self._messages]

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received, including refused ones (a copy)."""
        with self._lock:
            return list(self._requests)

    @property
    def send_requests(self) -> list[RecordedRequest]:
        """The message creations received (POST), refused ones included."""
        return [r for r in self.requests if r.method == "POST" and _MESSAGES.match(r.path)]

    @property
    def list_requests(self) -> list[RecordedRequest]:
        """The message lists asked for (GET .../Messages.json)."""
        return [r for r in self.requests if r.method == "GET" and _MESSAGES.match(r.path)]

    @property
    def max_in_flight(self) -> int:
        """The most requests handled at the same moment since the start (or ``reset``)."""
        with self._lock:
            return self._max_in_flight

    @property
    def calls(self) -> list[dict[str, Any]]:
        """Every call placed, oldest first (a copy), with the asked ``url``, ``status_callback``,
        ``status_callback_event`` and ``machine_detection`` (kept for tests, not in Twilio's answer)."""
        with self._lock:
            return [dict(c) for c in self._calls]

    @property
    def call_requests(self) -> list[RecordedRequest]:
        """The call creations received (POST .../Calls.json), refused ones included."""
        return [r for r in self.requests if r.method == "POST" and _CALLS.match(r.path)]

    def messages_to(self, number: str) -> list[dict[str, Any]]:
        return [m for m in self.messages if m["to"] == number]

    def reset(self) -> None:
        with self._lock:
            self._messages.clear()
            self._calls.clear()
            self._requests.clear()
            self._fail_queue.clear()
            self._timeout_queue.clear()
            self._list_fail_queue.clear()
            self._delete_fail_queue.clear()
            self._deleted.clear()
            self._max_in_flight = self._in_flight

    # -- request handling (called from handler threads) --------------------

    def _record(
        self,
        method: str,
        path: str,
        form: dict[str, list[str]],
        headers: dict[str, str],
        status: int,
        started: float | None = None,
    ) -> None:
        with self._lock:
            self._requests.append(RecordedRequest(method, path, form, headers, status, started=started))

    def _enter(self) -> float:
        with self._lock:
            self._in_flight += 1
            self._max_in_flight = max(self._max_in_flight, self._in_flight)
        return time.monotonic()

    def _leave(self) -> None:
        with self._lock:
            self._in_flight -= 1

    def _take_fault(self) -> tuple[int | None, bool | None]:
        with self._lock:
            if self._fail_queue:
                return self._fail_queue.pop(0), None
            if self._timeout_queue:
                return None, self._timeout_queue.pop(0)
            if self.fail_rate and self._random.random() < self.fail_rate:
                return self.fail_rate_status, None
        return None, None

    def _create_message(self, account: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def first(name: str) -> str | None:
            values = form.get(name)
            return values[0] if values else None

        to, from_, service, body = first("To"), first("From"), first("MessagingServiceSid"), first("Body")
        if not to:
            return _error(400, 21604, "A 'To' phone number is required.")
        if not _is_e164(to):
            return _error(400, 21211, f"The 'To' number {to} is not a valid phone number.")
        if not from_ and not service:
            return _error(400, 21603, "A 'From' phone number is required.")
        if not body and not form.get("MediaUrl") and not first("ContentSid"):
            return _error(400, 21602, "Message body is required.")
        if body and len(body) > 1600:
            return _error(400, 21617, "The concatenated message body exceeds the 1600 character limit.")
        if to in self.opted_out:
            return _error(400, 21610, "Attempt to send to unsubscribed recipient")

        sid = "SM" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC), usegmt=False).replace("-0000", "+0000")
        uri = f"/{API_VERSION}/Accounts/{account}/Messages/{sid}.json"
        message = {
            "account_sid": account,
            "api_version": API_VERSION,
            "body": body or "",
            "date_created": now,
            "date_sent": None,
            "date_updated": now,
            "direction": "outbound-api",
            "error_code": None,
            "error_message": None,
            "from": from_,
            "messaging_service_sid": service,
            "num_media": str(len(form.get("MediaUrl", []))),
            "num_segments": str(segment_count(body or "")),
            "price": None,
            "price_unit": "USD",
            "sid": sid,
            "status": "queued" if from_ else "accepted",
            "subresource_uris": {"media": uri.replace(".json", "/Media.json")},
            "to": to,
            "uri": uri,
            # Not part of Twilio's answer: kept for tests.
            "status_callback": first("StatusCallback"),
        }
        answer = {k: v for k, v in message.items() if k != "status_callback"}
        # Handed to the carrier at once: later reads see it sent.
        message["status"] = "sent"
        message["date_sent"] = now
        with self._lock:
            self._messages.append(message)
        return 201, answer

    def _create_call(self, account: str, form: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def first(name: str) -> str | None:
            return _first(form, name)

        to, from_, url, twiml = first("To"), first("From"), first("Url"), first("Twiml")
        if not to:
            return _error(400, 21201, "No 'To' number is specified")
        if not _is_e164(to):
            return _error(400, 21211, f"Invalid 'To' Phone Number: {to}")
        if not from_:
            return _error(400, 21213, "No 'From' number is specified")
        if not url and not twiml and not first("ApplicationSid"):
            return _error(400, 21205, "Url parameter is required.")
        sid = "CA" + uuid.uuid4().hex
        now = format_datetime(datetime.now(UTC), usegmt=False).replace("-0000", "+0000")
        uri = f"/{API_VERSION}/Accounts/{account}/Calls/{sid}.json"
        call = {
            "account_sid": account,
            "annotation": None,
            "answered_by": None,
            "api_version": API_VERSION,
            "caller_name": None,
            "date_created": now,
            "date_updated": now,
            "direction": "outbound-api",
            "duration": None,
            "end_time": None,
            "forwarded_from": None,
            "from": from_,
            "from_formatted": from_,
            "group_sid": None,
            "parent_call_sid": None,
            "phone_number_sid": "PN" + "0" * 32,
            "price": None,
            "price_unit": "USD",
            "queue_time": "0",
            "sid": sid,
            "start_time": None,
            "status": "queued",
            "subresource_uris": {
                "notifications": uri.replace(".json", "/Notifications.json"),
                "recordings": uri.replace(".json", "/Recordings.json"),
                "payments": uri.replace(".json", "/Payments.json"),
                "events": uri.replace(".json", "/Events.json"),
                "siprec": uri.replace(".json", "/Siprec.json"),
                "streams": uri.replace(".json", "/Streams.json"),
                "transcriptions": uri.replace(".json", "/Transcriptions.json"),
                "user_defined_message_subscriptions": uri.replace(".json", "/UserDefinedMessageSubscriptions.json"),
                "user_defined_messages": uri.replace(".json", "/UserDefinedMessages.json"),
            },
            "to": to,
            "to_formatted": to,
            "trunk_sid": None,
            "uri": uri,
        }
        kept = {
            "url": url,
            "method": first("Method") or "POST",
            "twiml": twiml,
            "status_callback": first("StatusCallback"),
            "status_callback_method": first("StatusCallbackMethod") or "POST",
            "status_callback_event": form.get("StatusCallbackEvent", []),
            "machine_detection": first("MachineDetection"),
        }
        with self._lock:
            self._calls.append({**call, **kept})
        return 201, call

    def _get_call(self, sid: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            for call in self._calls:
                if call["sid"] == sid:
                    return 200, {k: v for k, v in call.items() if k not in _CALL_TEST_FIELDS}
        return _error(404, 20404, f"The requested resource /{API_VERSION}/Accounts/.../Calls/{sid}.json was not found")

    def _get_message(self, sid: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            for message in self._messages:
                if message["sid"] == sid:
                    return 200, {k: v for k, v in message.items() if k != "status_callback"}
        return _error(
            404, 20404, f"The requested resource /{API_VERSION}/Accounts/.../Messages/{sid}.json was not found"
        )

    def _delete_message(self, sid: str) -> tuple[int, dict[str, Any]]:
        with self._lock:
            if self._delete_fail_queue:
                return _error(self._delete_fail_queue.pop(0))
            for index, message in enumerate(self._messages):
                if message["sid"] == sid:
                    del self._messages[index]
                    self._deleted.append(sid)
                    return 204, {}
        return _error(
            404, 20404, f"The requested resource /{API_VERSION}/Accounts/.../Messages/{sid}.json was not found"
        )

    def _list_messages(self, account: str, query: dict[str, list[str]]) -> tuple[int, dict[str, Any]]:
        def first(name: str) -> str | None:
            values = query.get(name)
            return values[0] if values else None

        try:
            page_size = min(1000, max(1, int(first("PageSize") or 50)))
            page = max(0, int(first("Page") or 0))
        except ValueError:
            return _error(400, 20001, "Invalid paging parameter")
        tests: list[tuple[str, str]] = []
        for name, op in (("DateSent", "="), ("DateSent<", "<="), ("DateSent>", ">=")):
            value = first(name)
            if value:
                if _parse_date_filter(value) is None:
                    return _error(400, 20001, f"Invalid {name}: {value}")
                tests.append((op, value))
        to, from_ = first("To"), first("From")
        with self._lock:
            found = [
                m
                for m in reversed(self._messages)  # newest first, as Twilio lists them
                if (not to or m["to"] == to)
                and (not from_ or m["from"] == from_)
                and all(_date_matches(m["date_sent"], op, value) for op, value in tests)
            ]
        start = page * page_size
        records = [{k: v for k, v in m.items() if k != "status_callback"} for m in found[start : start + page_size]]
        base = f"/{API_VERSION}/Accounts/{account}/Messages.json"
        filters = [(k, v) for k, v in (("To", to), ("From", from_)) if v]
        filters += [(name, first(name)) for name in ("DateSent", "DateSent<", "DateSent>") if first(name)]

        def uri(n: int, token: bool = False) -> str:
            params = [*filters, ("PageSize", str(page_size)), ("Page", str(n))]
            if token:
                params.append(("PageToken", f"PA{n}"))
            return f"{base}?{urlencode(params)}"

        more = start + page_size < len(found)
        return 200, {
            "messages": records,
            "page": page,
            "page_size": page_size,
            "start": start,
            "end": start + max(0, len(records) - 1),
            "uri": uri(page, token=page > 0),
            "first_page_uri": uri(0),
            "next_page_uri": uri(page + 1, token=True) if more else None,
            "previous_page_uri": uri(page - 1, token=True) if page > 0 else None,
        }


def _parse_date_filter(value: str) -> date | datetime | None:
    try:
        if len(value) == 10:
            return date.fromisoformat(value)
        return datetime.fromisoformat(value.replace("Z", "+00:00")).astimezone(UTC)
    except ValueError:
        return None


def _date_matches(date_sent: str | None, op: str, value: str) -> bool:
    """Whether a message's ``date_sent`` (RFC 2822) passes one DateSent filter."""
    if not date_sent:
        return False  # not sent yet: no DateSent filter matches it, as at Twilio
    sent = parsedate_to_datetime(date_sent).astimezone(UTC)
    bound = _parse_date_filter(value)
    left: date | datetime = sent
    if not isinstance(bound, datetime):
        left = sent.date()
    if op == "=":
        return left == bound
    if op == "<=":
        return left <= bound  # type: ignore[operator]
    return left >= bound  # type: ignore[operator]


def _is_e164(number: str) -> bool:
    if not _E164.match(number):
        return False
    try:
        return phonenumbers.is_possible_number(phonenumbers.parse(number, None))
    except phonenumbers.NumberParseException:
        return False


_CALL_TEST_FIELDS = frozenset(
    {
        "url",
        "method",
        "twiml",
        "status_callback",
        "status_callback_method",
        "status_callback_event",
        "machine_detection",
    }
)


def _first(form: dict[str, list[str]], name: str) -> str | None:
    values = form.get(name)
    return values[0] if values else None


def _error(status: int, code: int | None = None, message: str | None = None) -> tuple[int, dict[str, Any]]:
    default_code, default_message = _ERROR_TEXT.get(status, (status, HTTPStatus(status).phrase))
    code = code or default_code
    return status, {
        "code": code,
        "message": message or default_message,
        "more_info": f"https://www.twilio.com/docs/errors/{code}",
        "status": status,
    }


class _Handler(BaseHTTPRequestHandler):
    fake: FakeTwilio  # set on the bound subclass
    server_version = "FakeTwilio/1.0"

    def log_message(self, format: str, *args: Any) -> None:  # keep test output quiet
        pass

    def do_POST(self) -> None:
        self._handle("POST")

    def do_GET(self) -> None:
        self._handle("GET")

    def do_DELETE(self) -> None:
        self._handle("DELETE")

    def _handle(self, method: str) -> None:
        fake = self.fake
        started = fake._enter()
        try:
            parts = urlsplit(self.path)
            path = parts.path
            query = parse_qs(parts.query, keep_blank_values=False)
            length = int(self.headers.get("Content-Length") or 0)
            raw = self.rfile.read(length) if length else b""
            form = parse_qs(raw.decode("utf-8"), keep_blank_values=True) if raw else {}
            headers = {k: v for k, v in self.headers.items()}

            if fake.delay_seconds:
                time.sleep(fake.delay_seconds)

            status, payload = self._route(method, path, form, query)
            fake._record(method, path, form, headers, status, started)
            self._send_json(status, payload)
        finally:
            fake._leave()

    def _route(
        self, method: str, path: str, form: dict[str, list[str]], query: dict[str, list[str]]
    ) -> tuple[int, dict[str, Any]]:
        fake = self.fake
        create = _MESSAGES.match(path)
        fetch = _MESSAGE.match(path)
        create_call = _CALLS.match(path)
        fetch_call = _CALL.match(path)
        found = create or fetch or create_call or fetch_call
        if not found:
            return _error(404, 20404, f"The requested resource {path} was not found")
        user = self._basic_auth_user()
        if user is None:
            return _error(401)
        account = found.group("account")
        if account != user:
            return _error(404, 20404, f"The requested resource {path} was not found")

        if create and method == "POST":
            return self._create_with_faults(lambda: fake._create_message(account, form))
        if create_call and method == "POST":
            return self._create_with_faults(lambda: fake._create_call(account, form))
        if create and method == "GET":
            with fake._lock:
                list_fail = fake._list_fail_queue.pop(0) if fake._list_fail_queue else None
            if list_fail is not None:
                return _error(list_fail)
            return fake._list_messages(account, query)
        if fetch and method == "GET":
            return fake._get_message(fetch.group("sid"))
        if fetch and method == "DELETE":
            return fake._delete_message(fetch.group("sid"))
        if fetch_call and method == "GET":
            return fake._get_call(fetch_call.group("sid"))
        return _error(405, 20004, "Method not allowed")

    def _create_with_faults(self, create) -> tuple[int, dict[str, Any]]:
        """A message or call creation, after the injected faults (failures, timeouts) have their turn."""
        fake = self.fake
        fail_status, timeout_accept = fake._take_fault()
        if fail_status is not None:
            return _error(fail_status)
        if timeout_accept is not None:
            result = create() if timeout_accept else None
            fake._stopping.wait(fake.timeout_sleep_seconds)
            return result or _error(503)
        return create()

    def _basic_auth_user(self) -> str | None:
        header = self.headers.get("Authorization", "")
        if not header.startswith("Basic "):
            return None
        try:
            user, _, password = base64.b64decode(header[6:]).decode("utf-8").partition(":")
        except (ValueError, UnicodeDecodeError):
            return None
        if user == self.fake.account_sid and password == self.fake.auth_token:
            return user
        return None

    def _send_json(self, status: int, payload: dict[str, Any]) -> None:
        data = b"" if status == 204 else json.dumps(payload).encode("utf-8")
        try:
            self.send_response(status)
            self.send_header("Content-Type", "application/json; charset=utf-8")
            self.send_header("Content-Length", str(len(data)))
            if status == 401:
                self.send_header("WWW-Authenticate", 'Basic realm="Twilio API"')
            self.end_headers()
            self.wfile.write(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the client gave up (timeout); nothing to answer
