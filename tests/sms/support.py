"""Shared test support for the SMS and scheduling areas: errand builders, the
fake Twilio wired into the app's config, and signed webhook posts."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.i18n import HELSINKI
from app.models import Assignment, Errand, HelpRequest, SmsMessage, TaskType
from app.sms.signature import SIGNATURE_HEADER, compute_signature
from tests.fakes.twilio_server import FakeTwilio

TWILIO_FROM = "+358451230000"


def helsinki(year: int, month: int, day: int, hour: int = 12, minute: int = 0) -> datetime:
    """A Helsinki wall-clock time as aware UTC."""
    return datetime.combine(date(year, month, day), time(hour, minute), tzinfo=HELSINKI).astimezone(UTC)


def in_days(days: int, hour: int = 12) -> datetime:
    """``hour``:00 Helsinki time ``days`` days from today (real time: for the errand services)."""
    local = (datetime.now(UTC) + timedelta(days=days)).astimezone(HELSINKI)
    return helsinki(local.year, local.month, local.day, hour)


class Builder:
    """Errands in any state, built directly (the errand services are tested elsewhere)."""

    def __init__(self, session, make):
        self.session = session
        self.make = make
        self._code = 500

    def errand(
        self,
        elder,
        starts_at: datetime,
        *,
        state: str = "open",
        task: str = "shopping",
        minutes: int = 60,
        created_at: datetime | None = None,
        helpers_needed: int = 1,
    ) -> Errand:
        task_type = self.session.scalar(sa.select(TaskType).filter_by(code=task))
        local = starts_at.astimezone(HELSINKI)
        request = HelpRequest(
            elder=elder,
            organization_id=elder.organization_id,
            task_type=task_type,
            date_from=local.date(),
            date_to=local.date(),
            time_from=local.time(),
            duration_minutes=minutes,
            helpers_needed=helpers_needed,
        )
        self._code += 1
        errand = Errand(
            request=request,
            elder=elder,
            organization_id=elder.organization_id,
            task_type=task_type,
            starts_at=starts_at,
            ends_at=starts_at + timedelta(minutes=minutes),
            duration_minutes=minutes,
            helpers_needed=helpers_needed,
            state=state,
            short_code=str(self._code),
        )
        if created_at is not None:
            errand.created_at = created_at
        self.session.add_all([request, errand])
        self.session.commit()
        return errand

    def assign(self, errand: Errand, helper, *, assigned_at: datetime, status: str = "active") -> Assignment:
        slot = len(errand.assignments) + 1
        assignment = Assignment(errand=errand, helper=helper, slot=slot, assigned_at=assigned_at, status=status)
        errand.state = "assigned" if status == "active" else errand.state
        self.session.add(assignment)
        self.session.commit()
        return assignment


@pytest.fixture()
def build(db, make) -> Builder:
    return Builder(db.session, make)


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
