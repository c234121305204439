"""SMS sending backends (plain adapters: no Flask, no database).

* :class:`OutboxBackend` sends nothing. It answers "stored" with an
  ``outbox-<uuid>`` id; the message simply stays in the application's own table.
* :class:`TwilioBackend` sends through the real ``twilio.rest.Client``. With
  ``api_base_url`` every request goes to that server instead of
  ``https://api.twilio.com`` (used with a local fake in tests, or a proxy).

Every failure comes back as a :class:`SendResult` with ``ok=False``;
``temporary=True`` marks what is worth retrying later (HTTP 5xx and 429,
timeouts, refused or dropped connections), ``temporary=False`` what will fail
again the same way (invalid number 21211, opted out 21610/21614, bad
credentials 20003, ...). :func:`build_backend` picks a backend from settings.

``find_copy`` answers "did the provider already take this message?" for a
send whose outcome is unknown (the answer was lost, or the process died): it
lists the provider's messages to that number and looks for one with the
same body, created after the message, among those whose sid is not already accounted for.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol, runtime_checkable
from urllib.parse import urlsplit, urlunsplit

import requests
from twilio.base.exceptions import TwilioException, TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.http.response import Response
from twilio.rest import Client

log = logging.getLogger(__name__)

DEFAULT_TIMEOUT = 10.0
# At most this many of the provider's messages to one number are read when looking for a copy.
LOOKUP_LIMIT = 200

# Twilio error codes that name a passing condition even when the HTTP status does not say so.
TEMPORARY_TWILIO_CODES = frozenset({20429, 20500, 20503, 30001, 30002})
# Well-known permanent ones (documentation; any other 4xx is permanent too).
PERMANENT_TWILIO_CODES = frozenset({20003, 20404, 21211, 21408, 21606, 21610, 21612, 21614, 21617})


@dataclass(frozen=True)
class SendResult:
    """Outcome of one send attempt.

    ``provider_id``: the provider's message id (Twilio "SM..." sid, or
    "outbox-<uuid>"). ``status``: the provider's status ("queued", "accepted",
    "stored", ...). ``error_code``: the provider's error code as text ("21211")
    or a local one ("timeout", "connection_error"). ``temporary``: a failure
    worth retrying later; meaningless when ``ok``.
    """

    ok: bool
    provider_id: str | None = None
    status: str | None = None
    error_code: str | None = None
    error_message: str | None = None
    temporary: bool = False


@dataclass(frozen=True)
class ProviderCopy:
    """A message the provider already holds: its sid and the provider's status."""

    sid: str
    status: str | None = None


class LookupFailed(Exception):
    """The provider could not be asked (HTTP error, timeout, connection trouble)."""


class DeleteFailed(Exception):
    """The provider did not delete a message: ``code`` (Twilio's error code, the
    HTTP status or a local one such as "timeout") and ``message``."""

    def __init__(self, code: str, message: str = ""):
        super().__init__(f"{code}: {message}" if message else code)
        self.code = code
        self.message = message


@runtime_checkable
class SmsBackend(Protocol):
    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        """Send ``body`` to the E.164 number ``to``; never raises for delivery problems."""
        ...


def find_copy(
    backend: SmsBackend, to: str, body: str, *, since: datetime, exclude: Collection[str] = ()
) -> ProviderCopy | None:
    """The provider's copy of ``body`` to ``to`` sent at or after ``since`` (aware), if any.

    Sids in ``exclude`` (already recorded on other messages) do not count.
    A backend without a ``find_copy`` method cannot lose an answer (the
    outbox): None. Raises :class:`LookupFailed` when the provider cannot say.
    """
    finder = getattr(backend, "find_copy", None)
    if finder is None:
        return None
    return finder(to, body, since=since, exclude=exclude)


class OutboxBackend:
    """Sends nothing: the message stays in the application's outbox table."""

    name = "outbox"

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        return SendResult(ok=True, provider_id=f"outbox-{uuid.uuid4()}", status="stored")

    def call(self, to: str, *, url: str, status_callback: str, machine_detection: bool = False) -> SendResult:
        return self.send(to, url, status_callback=status_callback)


class BaseUrlHttpClient(TwilioHttpClient):
    """Twilio's own HTTP client, sending every request to ``base_url`` instead.

    twilio-python builds absolute URLs (``https://api.twilio.com/2010-04-01/...``)
    and hands them to ``client.http_client.request``; this subclass swaps the
    scheme and host (and prepends any path prefix of ``base_url``), keeping the
    path and query. Everything else (auth, headers, form encoding, timeouts,
    error parsing) is the unmodified library code.
    """

    def __init__(self, base_url: str, *, timeout: float | None = None, **kwargs: Any) -> None:
        super().__init__(timeout=timeout, **kwargs)
        parts = urlsplit(base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"api_base_url must be http(s)://host[:port][/prefix], got {base_url!r}")
        self.base_url = base_url
        self._scheme = parts.scheme
        self._netloc = parts.netloc
        self._prefix = parts.path.rstrip("/")

    def rewrite(self, url: str) -> str:
        parts = urlsplit(url)
        return urlunsplit((self._scheme, self._netloc, self._prefix + parts.path, parts.query, parts.fragment))

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> Response:
        return super().request(method, self.rewrite(url), *args, **kwargs)


class TwilioBackend:
    """Send SMS with Twilio's Programmable Messaging API (the real client library).

    Give ``from_number`` (an E.164 Twilio number or alphanumeric sender id),
    ``messaging_service_sid`` ("MG..."), or both. ``timeout`` (seconds) bounds
    each HTTP request so a slow API never blocks a worker for long.
    """

    name = "twilio"

    def __init__(
        self,
        account_sid: str,
        auth_token: str,
        from_number: str | None = None,
        messaging_service_sid: str | None = None,
        api_base_url: str | None = None,
        timeout: float = DEFAULT_TIMEOUT,
    ) -> None:
        if not account_sid or not auth_token:
            raise ValueError("TwilioBackend needs account_sid and auth_token")
        if not from_number and not messaging_service_sid:
            raise ValueError("TwilioBackend needs from_number or messaging_service_sid")
        if timeout is None or timeout <= 0:
            raise ValueError("timeout must be a positive number of seconds")
        self.account_sid = account_sid
        self.from_number = from_number or None
        self.messaging_service_sid = messaging_service_sid or None
        self.api_base_url = api_base_url or None
        self.timeout = float(timeout)
        if self.api_base_url:
            http_client: TwilioHttpClient = BaseUrlHttpClient(self.api_base_url, timeout=self.timeout)
        else:
            http_client = TwilioHttpClient(timeout=self.timeout)
        self.client = Client(account_sid, auth_token, http_client=http_client)

    def send(self, to: str, body: str, *, status_callback: str | None = None) -> SendResult:
        params: dict[str, Any] = {"to": to, "body": body}
        if self.from_number:
            params["from_"] = self.from_number
        if self.messaging_service_sid:
            params["messaging_service_sid"] = self.messaging_service_sid
        if status_callback:
            params["status_callback"] = status_callback
        return self._create(lambda: self.client.messages.create(**params), to)

    def _create(self, create: Any, to: str) -> SendResult:
        """Run one create request (a message or a call): its sid and status, or the failure."""
        try:
            created = create()
        except TwilioRestException as exc:
            return self._rest_error(exc, to)
        except requests.Timeout as exc:
            return self._transport_error("timeout", exc, to)
        except requests.ConnectionError as exc:
            return self._transport_error("connection_error", exc, to)
        except requests.RequestException as exc:
            return self._transport_error("request_error", exc, to)
        except TwilioException as exc:
            # Library-level trouble without an HTTP verdict (e.g. an unreadable answer).
            log.warning("Twilio send to %s failed: %s", mask_number(to), exc)
            return SendResult(ok=False, error_code="twilio_error", error_message=str(exc), temporary=True)
        return SendResult(ok=True, provider_id=created.sid, status=created.status)

    def find_copy(self, to: str, body: str, *, since: datetime, exclude: Collection[str] = ()) -> ProviderCopy | None:
        """Twilio's own list of messages to ``to`` (the newest ``LOOKUP_LIMIT``):
        the first outgoing one created at or after ``since`` with this body and a
        sid not in ``exclude``.

        No ``DateSent`` filter is used: a message still waiting in Twilio's
        queue has no ``date_sent`` yet and would be missed. A copy created
        before ``since`` (our message's creation, less some clock skew) belongs
        to another message; one whose sid is in ``exclude`` is already
        recorded on another message of ours.
        """
        try:
            for message in self.client.messages.stream(to=to, limit=LOOKUP_LIMIT, page_size=50):
                created = message.date_created
                if (
                    message.body == body
                    and isinstance(created, datetime)
                    and created >= since
                    and message.sid not in exclude
                    and str(message.direction or "").startswith("outbound")
                ):
                    return ProviderCopy(sid=message.sid, status=message.status)
        except TwilioRestException as exc:
            raise LookupFailed(f"HTTP {exc.status}, code {exc.code}") from exc
        except (requests.RequestException, TwilioException) as exc:
            raise LookupFailed(str(exc) or type(exc).__name__) from exc
        return None

    def delete_message(self, sid: str) -> str:
        """Delete the message ``sid`` (body, numbers and all) from Twilio's log with
        ``DELETE .../Messages/{sid}.json``: "deleted", or "gone" when Twilio no
        longer has it (404). Raises :class:`DeleteFailed` otherwise (e.g. Twilio
        down, or the message is still being sent: worth trying again later)."""
        try:
            self.client.messages(sid).delete()
        except TwilioRestException as exc:
            if int(exc.status or 0) == 404:
                return "gone"
            raise DeleteFailed(str(exc.code if exc.code is not None else exc.status), _clean_message(exc.msg)) from exc
        except requests.Timeout as exc:
            raise DeleteFailed("timeout", str(exc)) from exc
        except (requests.RequestException, TwilioException) as exc:
            raise DeleteFailed("connection_error", str(exc) or type(exc).__name__) from exc
        return "deleted"

    def _rest_error(self, exc: TwilioRestException, to: str) -> SendResult:
        status = int(exc.status or 0)
        code = exc.code
        temporary = status >= 500 or status == 429 or (code in TEMPORARY_TWILIO_CODES)
        message = _clean_message(exc.msg)
        log.warning(
            "Twilio refused SMS to %s: HTTP %s, code %s (%s)%s",
            mask_number(to),
            status,
            code,
            message,
            " - will retry" if temporary else "",
        )
        return SendResult(
            ok=False,
            error_code=str(code if code is not None else status),
            error_message=message,
            temporary=temporary,
        )

    @staticmethod
    def _transport_error(code: str, exc: Exception, to: str) -> SendResult:
        log.warning("Twilio send to %s failed (%s): %s", mask_number(to), code, exc)
        return SendResult(ok=False, error_code=code, error_message=str(exc) or code, temporary=True)


class TwilioVoiceBackend(TwilioBackend):
    """Automated calls with Twilio Programmable Voice (the real client library):
    ``calls.create(to, from_, url, status_callback, ...)``. Twilio fetches the
    TwiML from ``url`` when the call is answered. ``from_number`` is the
    calling number (``TWILIO_VOICE_FROM``). Failures come back as for SMS."""

    name = "twilio-voice"
    #: The call's progress Twilio reports to the status callback.
    STATUS_EVENTS = ("initiated", "ringing", "answered", "completed")

    def call(self, to: str, *, url: str, status_callback: str, machine_detection: bool = False) -> SendResult:
        params: dict[str, Any] = {
            "to": to,
            "from_": self.from_number,
            "url": url,
            "method": "POST",
            "status_callback": status_callback,
            "status_callback_method": "POST",
            "status_callback_event": list(self.STATUS_EVENTS),
        }
        if machine_detection:
            params["machine_detection"] = "Enable"
        return self._create(lambda: self.client.calls.create(**params), to)


def _clean_message(msg: Any) -> str:
    text = str(msg or "")
    prefix = "Unable to create record: "
    return text[len(prefix) :] if text.startswith(prefix) else text


def mask_number(number: str | None) -> str:
    """Log-safe phone number: "+358401234567" -> "+35840*****67"."""
    if not number:
        return "?"
    keep_head, keep_tail = 6, 2
    if len(number) <= keep_head + keep_tail:
        return number[:2] + "*" * max(0, len(number) - 2)
    return number[:keep_head] + "*" * (len(number) - keep_head - keep_tail) + number[-keep_tail:]


def build_backend(name: str, settings: Mapping[str, Any] | None = None) -> SmsBackend:
    """Build the SMS backend named in configuration: ``"outbox"`` or ``"twilio"``.

    Settings read for Twilio: ``TWILIO_ACCOUNT_SID`` and ``TWILIO_AUTH_TOKEN``
    (required), ``TWILIO_FROM`` (alias ``TWILIO_FROM_NUMBER``) and/or
    ``TWILIO_MESSAGING_SERVICE_SID`` (one required), ``TWILIO_API_BASE_URL``
    and ``TWILIO_TIMEOUT`` (seconds, default 10). Empty values count as missing.
    """
    settings = settings or {}
    key = (name or "").strip().lower()
    if key == "outbox":
        return OutboxBackend()
    if key == "twilio":

        def get(*names: str) -> str:
            for n in names:
                value = settings.get(n)
                if value is not None and str(value).strip():
                    return str(value).strip()
            return ""

        missing = [n for n in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN") if not get(n)]
        from_number = get("TWILIO_FROM", "TWILIO_FROM_NUMBER")
        service_sid = get("TWILIO_MESSAGING_SERVICE_SID")
        if not from_number and not service_sid:
            missing.append("TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID")
        if missing:
            raise ValueError(f"SMS backend 'twilio' needs setting(s): {', '.join(missing)}")
        timeout_raw = get("TWILIO_TIMEOUT")
        try:
            timeout = float(timeout_raw) if timeout_raw else DEFAULT_TIMEOUT
        except ValueError:
            raise ValueError(f"setting TWILIO_TIMEOUT must be a number, got {timeout_raw!r}") from None
        return TwilioBackend(
            account_sid=get("TWILIO_ACCOUNT_SID"),
            auth_token=get("TWILIO_AUTH_TOKEN"),
            from_number=from_number or None,
            messaging_service_sid=service_sid or None,
            api_base_url=get("TWILIO_API_BASE_URL") or None,
            timeout=timeout,
        )
    raise ValueError(f"unknown SMS backend {name!r}: use 'outbox' or 'twilio'")


def build_voice_backend(name: str, settings: Mapping[str, Any] | None = None) -> OutboxBackend | TwilioVoiceBackend:
    """The call backend named in ``VOICE_BACKEND``: ``"outbox"`` or ``"twilio"`` (with
    ``TWILIO_ACCOUNT_SID``, ``TWILIO_AUTH_TOKEN``, ``TWILIO_VOICE_FROM`` and, as for SMS,
    ``TWILIO_API_BASE_URL`` and ``TWILIO_TIMEOUT``)."""
    settings = settings or {}
    key = (name or "").strip().lower()
    if key == "outbox":
        return OutboxBackend()
    if key != "twilio":
        raise ValueError(f"unknown voice backend {name!r}: use 'outbox' or 'twilio'")
    values = {n: str(settings.get(n) or "").strip() for n in ("TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN")}
    voice_from = str(settings.get("TWILIO_VOICE_FROM") or "").strip()
    missing = [n for n, v in values.items() if not v] + ([] if voice_from else ["TWILIO_VOICE_FROM"])
    if missing:
        raise ValueError(f"voice backend 'twilio' needs setting(s): {', '.join(missing)}")
    return TwilioVoiceBackend(
        account_sid=values["TWILIO_ACCOUNT_SID"],
        auth_token=values["TWILIO_AUTH_TOKEN"],
        from_number=voice_from,
        api_base_url=str(settings.get("TWILIO_API_BASE_URL") or "").strip() or None,
        timeout=float(settings.get("TWILIO_TIMEOUT") or DEFAULT_TIMEOUT),
    )
