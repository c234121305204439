"""Shared test support for the SMS and scheduling areas: the fake Twilio wired into
the app's config, signed webhook posts and the messages sent."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa

from app.models import SmsMessage
from app.sms.signature import SIGNATURE_HEADER, compute_signature
from tests.fakes.twilio_server import FakeTwilio

TWILIO_FROM = "+358451230000"


@pytest.fixture()
def fake_twilio(app, monkeypatch) -> Iterator[FakeTwilio]:
    """The real twilio client talking to a fake Twilio on 127.0.0.1, with fast settings."""
    with FakeTwilio(timeout_sleep_seconds=1.5) as fake:
        for key, value in {
            "SMS_BACKEND": "twilio",
            "TWILIO_ACCOUNT_SID": fake.account_sid,
            "TWILIO_AUTH_TOKEN": fake.auth_token,
            "TWILIO_FROM": TWILIO_FROM,
            "TWILIO_API_BASE_URL": fake.base_url,
            "TWILIO_TIMEOUT": 0.5,
            "SMS_RATE_PER_SECOND": 500,
            "SMS_RETRY_BASE_SECONDS": 2,
            "SMS_RETRY_MAX_SECONDS": 60,
            "SMS_UNKNOWN_RECHECK_SECONDS": 120,
        }.items():
            monkeypatch.setitem(app.config, key, value)
        yield fake


@pytest.fixture()
def twilio_token(app, monkeypatch) -> str:
    """An auth token for signing webhooks (no fake server needed)."""
    token = "test-auth-token-for-webhooks"
    monkeypatch.setitem(app.config, "TWILIO_AUTH_TOKEN", token)
    return token


def signed_post(client, path: str, data: dict, token: str, *, tamper: bool = False, signature: str | None = None):
    """POST form ``data`` to ``path`` with the X-Twilio-Signature Twilio would send."""
    url = "http://testserver" + path
    sig = signature if signature is not None else compute_signature(token, url, data)
    if tamper:
        data = {**data, "Body": data.get("Body", "") + "!"}
    return client.post(path, data=data, headers={SIGNATURE_HEADER: sig})


_sid = iter(range(10**6, 10**7))


def inbound(from_phone: str, body: str, *, sid: str | None = None, to: str = TWILIO_FROM) -> dict:
    """The form fields of an incoming SMS webhook."""
    return {
        "MessageSid": sid or f"SM{next(_sid):032x}",
        "AccountSid": "AC" + "0" * 32,
        "From": from_phone,
        "To": to,
        "Body": body,
        "NumMedia": "0",
    }


def outgoing(session, **filters) -> list[SmsMessage]:
    return list(session.scalars(sa.select(SmsMessage).filter_by(direction="out", **filters).order_by(SmsMessage.id)))


def press(client, token, call, digits: str):
    """A signed key press ``digits`` in the automated call ``call`` (the <Gather> action)."""
    data = {"CallSid": call.provider_sid or "CA0", "To": call.to_phone, "Digits": digits}
    return signed_post(client, f"/sms/voice/gather?m={call.id}", data, token)


def said(element) -> str:
    """Everything a TwiML element says (its <Say> texts)."""
    return " ".join("".join(say.itertext()).strip() for say in element.iter("Say"))
