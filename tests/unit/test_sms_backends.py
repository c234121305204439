"""SMS backends: the real twilio client against the local FakeTwilio server, and signature helpers."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import socket
import time
import uuid

import pytest
from twilio.request_validator import RequestValidator

from app.sms.backends import (
    BaseUrlHttpClient,
    OutboxBackend,
    SendResult,
    SmsBackend,
    TwilioBackend,
    build_backend,
)
from app.sms.segments import segment_count
from app.sms.signature import SIGNATURE_HEADER, compute_signature, is_valid
from tests.fakes.twilio_server import FakeTwilio

FROM = "+358400000001"
TO = "+358401234567"
SERVICE_SID = "MG" + "ab" * 16
SID_RE = re.compile(r"^SM[0-9a-f]{32}$")


@pytest.fixture
def fake():
    with FakeTwilio(opted_out={"+358409999999"}, timeout_sleep_seconds=3.0) as server:
        yield server


def make_backend(fake: FakeTwilio, **overrides) -> TwilioBackend:
    kwargs = dict(
        account_sid=fake.account_sid,
        auth_token=fake.auth_token,
        from_number=FROM,
        api_base_url=fake.base_url,
        timeout=0.5,
    )
    kwargs.update(overrides)
    return TwilioBackend(**kwargs)


# -- success ------------------------------------------------------------------


def test_success_returns_and_stores_sid(fake):
    backend = make_backend(fake)
    result = backend.send(TO, "Hei! Huomenna kauppareissu klo 10.", status_callback="https://example.org/sms/status")

    assert result.ok and not result.temporary
    assert SID_RE.match(result.provider_id)
    assert result.status == "queued"
    assert result.error_code is None and result.error_message is None

    [stored] = fake.messages
    assert stored["sid"] == result.provider_id
    assert stored["to"] == TO and stored["from"] == FROM
    assert stored["body"] == "Hei! Huomenna kauppareissu klo 10."
    assert stored["status_callback"] == "https://example.org/sms/status"
    assert stored["num_segments"] == "1"

    # The real client can read it back through the rewritten base URL too; by then
    # the fake has handed it to the carrier.
    fetched = backend.client.messages(result.provider_id).fetch()
    assert fetched.sid == result.provider_id and fetched.to == TO
    assert fetched.status == "sent" and fetched.date_sent is not None


def test_request_is_real_twilio_wire_format(fake):
    make_backend(fake).send(TO, "Moi")
    [req] = fake.requests
    assert req.method == "POST"
    assert req.path == f"/2010-04-01/Accounts/{fake.account_sid}/Messages.json"
    assert req.form == {"To": [TO], "Body": ["Moi"], "From": [FROM]}
    assert req.headers["Content-Type"] == "application/x-www-form-urlencoded"
    assert req.headers["User-Agent"].startswith("twilio-python/")
    expected_auth = base64.b64encode(f"{fake.account_sid}:{fake.auth_token}".encode()).decode()
    assert req.headers["Authorization"] == f"Basic {expected_auth}"


def test_messaging_service_sid_path(fake):
    backend = make_backend(fake, from_number=None, messaging_service_sid=SERVICE_SID)
    result = backend.send(TO, "Palvelun kautta")

    assert result.ok and result.status == "accepted"
    [stored] = fake.messages
    assert stored["messaging_service_sid"] == SERVICE_SID and stored["from"] is None
    assert fake.requests[0].form["MessagingServiceSid"] == [SERVICE_SID]
    assert "From" not in fake.requests[0].form


def test_from_and_messaging_service_together(fake):
    result = make_backend(fake, messaging_service_sid=SERVICE_SID).send(TO, "Molemmat")
    assert result.ok and result.status == "queued"
    assert fake.requests[0].form["From"] == [FROM]
    assert fake.requests[0].form["MessagingServiceSid"] == [SERVICE_SID]


# -- temporary failures ----------------------------------------------------------


@pytest.mark.parametrize(("status", "code"), [(500, "20500"), (503, "20503"), (429, "20429")])
def test_server_errors_and_throttling_are_temporary(fake, status, code):
    fake.fail_next(1, status=status)
    backend = make_backend(fake)

    result = backend.send(TO, "Hei")
    assert not result.ok and result.temporary
    assert result.error_code == code and result.provider_id is None
    assert fake.messages == []

    retry = backend.send(TO, "Hei")
    assert retry.ok
    assert len(fake.messages) == 1


def test_timeout_is_temporary_and_quick(fake):
    fake.timeout_next(1, accept=False)
    started = time.monotonic()
    result = make_backend(fake, timeout=0.3).send(TO, "Hei")
    elapsed = time.monotonic() - started

    assert not result.ok and result.temporary
    assert result.error_code == "timeout"
    assert elapsed < 2.0
    assert fake.messages == []


def test_timeout_after_accept_shows_how_retries_duplicate(fake):
    """The API may store the message even though its answer never arrives: a retry then duplicates it."""
    fake.timeout_next(1)  # accept=True
    backend = make_backend(fake, timeout=0.3)
    assert backend.send(TO, "Sama viesti").temporary
    assert backend.send(TO, "Sama viesti").ok
    assert len(fake.messages_to(TO)) == 2


def test_connection_refused_is_temporary():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    backend = TwilioBackend(
        "AC" + "1" * 32, "token", from_number=FROM, api_base_url=f"http://127.0.0.1:{port}", timeout=1
    )
    result = backend.send(TO, "Hei")
    assert not result.ok and result.temporary
    assert result.error_code == "connection_error"


def test_random_failures_are_seeded_and_consistent():
    outcomes = []
    for _ in range(2):
        with FakeTwilio(fail_rate=0.4, seed=7) as server:
            backend = make_backend(server)
            results = [backend.send(TO, f"viesti {i}") for i in range(15)]
            assert sum(r.ok for r in results) == len(server.messages)
            assert all(r.temporary for r in results if not r.ok)
            outcomes.append([r.ok for r in results])
    assert outcomes[0] == outcomes[1]
    assert 0 < sum(outcomes[0]) < 15


# -- permanent failures ---------------------------------------------------------


@pytest.mark.parametrize("bad_number", ["0401234567", "+0401234567", "12345", "+358abc"])
def test_invalid_number_is_permanent_21211(fake, bad_number):
    result = make_backend(fake).send(bad_number, "Hei")
    assert not result.ok and not result.temporary
    assert result.error_code == "21211"
    assert bad_number in result.error_message
    assert fake.messages == []


def test_opted_out_recipient_is_permanent_21610(fake):
    result = make_backend(fake).send("+358409999999", "Hei")
    assert not result.ok and not result.temporary
    assert result.error_code == "21610"


def test_wrong_auth_token_is_permanent_20003(fake):
    result = make_backend(fake, auth_token="not-the-token").send(TO, "Hei")
    assert not result.ok and not result.temporary
    assert result.error_code == "20003"
    assert result.error_message == "Authenticate"
    assert fake.requests[-1].status == 401
    assert fake.messages == []


def test_body_too_long_is_permanent(fake):
    result = make_backend(fake).send(TO, "x" * 1601)
    assert not result.ok and not result.temporary and result.error_code == "21617"


# -- wiring ---------------------------------------------------------------------------


def test_base_url_rewrite_keeps_path_and_query():
    client = BaseUrlHttpClient("http://127.0.0.1:8099/twilio-proxy/", timeout=1)
    url = "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json?PageSize=5"
    assert client.rewrite(url) == "http://127.0.0.1:8099/twilio-proxy/2010-04-01/Accounts/AC1/Messages.json?PageSize=5"
    assert BaseUrlHttpClient("http://localhost:1", timeout=1).rewrite(url).startswith("http://localhost:1/2010-04-01/")
    with pytest.raises(ValueError):
        BaseUrlHttpClient("not a url")


def test_constructor_validation():
    with pytest.raises(ValueError):
        TwilioBackend("", "token", from_number=FROM)
    with pytest.raises(ValueError):
        TwilioBackend("AC" + "1" * 32, "token")
    with pytest.raises(ValueError):
        TwilioBackend("AC" + "1" * 32, "token", from_number=FROM, timeout=0)


def test_outbox_backend_stores_nothing_and_says_so():
    backend = OutboxBackend()
    result = backend.send(TO, "Hei", status_callback=None)
    assert result.ok and not result.temporary and result.status == "stored"
    assert result.provider_id.startswith("outbox-")
    uuid.UUID(result.provider_id.removeprefix("outbox-"))
    assert backend.send(TO, "Hei").provider_id != result.provider_id
    assert isinstance(backend, SmsBackend)


def test_build_backend_outbox_and_twilio(fake):
    assert isinstance(build_backend("outbox", {}), OutboxBackend)
    assert isinstance(build_backend("OUTBOX", {"TWILIO_ACCOUNT_SID": ""}), OutboxBackend)

    settings = {
        "TWILIO_ACCOUNT_SID": fake.account_sid,
        "TWILIO_AUTH_TOKEN": fake.auth_token,
        "TWILIO_FROM": FROM,
        "TWILIO_MESSAGING_SERVICE_SID": "",
        "TWILIO_API_BASE_URL": fake.base_url,
        "TWILIO_TIMEOUT": "2",
    }
    backend = build_backend("twilio", settings)
    assert isinstance(backend, TwilioBackend) and isinstance(backend, SmsBackend)
    assert backend.timeout == 2.0 and backend.messaging_service_sid is None
    assert backend.send(TO, "Rakennettu asetuksista").ok
    assert len(fake.messages) == 1


def test_build_backend_errors_are_clear():
    with pytest.raises(ValueError, match="TWILIO_AUTH_TOKEN"):
        build_backend("twilio", {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "", "TWILIO_FROM": FROM})
    with pytest.raises(ValueError, match="TWILIO_FROM or TWILIO_MESSAGING_SERVICE_SID"):
        build_backend("twilio", {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t"})
    with pytest.raises(ValueError, match="TWILIO_TIMEOUT"):
        build_backend(
            "twilio",
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_AUTH_TOKEN": "t", "TWILIO_FROM": FROM, "TWILIO_TIMEOUT": "soon"},
        )
    with pytest.raises(ValueError, match="unknown SMS backend"):
        build_backend("carrier-pigeon", {})


def test_send_result_defaults():
    assert SendResult(ok=True) == SendResult(True, None, None, None, None, False)


def test_fake_segment_count():
    assert segment_count("ä" * 160) == 1  # ä is in the GSM-7 alphabet
    assert segment_count("a" * 161) == 2
    assert segment_count("€" * 80) == 1 and segment_count("€" * 81) == 2  # extension chars cost two
    assert segment_count("ш" * 70) == 1 and segment_count("ш" * 71) == 2  # UCS-2


# -- webhook signatures ----------------------------------------------------------

TOKEN = "12345abcde"
URL = "https://arjen.example.fi/sms/status?source=twilio"
PARAMS = {"MessageSid": "SM" + "a" * 32, "MessageStatus": "delivered", "To": TO, "From": FROM}


def _reference_signature(token: str, url: str, params: dict[str, str]) -> str:
    data = url + "".join(k + params[k] for k in sorted(params))
    return base64.b64encode(hmac.new(token.encode(), data.encode(), hashlib.sha1).digest()).decode()


def test_signature_round_trip_with_request_validator():
    signature = compute_signature(TOKEN, URL, PARAMS)
    assert signature == _reference_signature(TOKEN, URL, PARAMS)
    assert RequestValidator(TOKEN).validate(URL, PARAMS, signature)
    assert is_valid(TOKEN, URL, PARAMS, signature)
    assert SIGNATURE_HEADER == "X-Twilio-Signature"


def test_signature_rejects_tampering():
    signature = compute_signature(TOKEN, URL, PARAMS)
    assert not is_valid(TOKEN, URL, {**PARAMS, "MessageStatus": "failed"}, signature)
    assert not is_valid(TOKEN, URL, {**PARAMS, "Extra": "1"}, signature)
    assert not is_valid(TOKEN, URL.replace("status", "statuz"), PARAMS, signature)
    assert not is_valid(TOKEN, "http://arjen.example.fi/sms/status?source=twilio", PARAMS, signature)
    assert not is_valid("other-token", URL, PARAMS, signature)
    assert not is_valid(TOKEN, URL, PARAMS, signature[:-2] + "AA")


def test_signature_with_empty_token_or_signature_is_invalid():
    signature = compute_signature(TOKEN, URL, PARAMS)
    assert not is_valid("", URL, PARAMS, signature)
    assert not is_valid(TOKEN, URL, PARAMS, "")
    assert not is_valid(TOKEN, URL, PARAMS, None)
    with pytest.raises(ValueError):
        compute_signature("", URL, PARAMS)


def test_signature_accepts_explicit_default_port():
    """Twilio may sign with or without :443; RequestValidator accepts both."""
    signature = compute_signature(TOKEN, "https://arjen.example.fi:443/sms/status", PARAMS)
    assert is_valid(TOKEN, "https://arjen.example.fi/sms/status", PARAMS, signature)
