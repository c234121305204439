"""Pure SMS rules: status order, quiet hours and retry backoff (no Flask, no database)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

HELSINKI = ZoneInfo("Europe/Helsinki")

# Outgoing statuses in the order a message moves through them. "held" waits for
# the morning and ranks with "queued"; the final ones never change again.
STATUS_RANK = {"queued": 0, "held": 0, "sending": 1, "sent": 2, "delivered": 3, "undelivered": 4, "failed": 4}
FINAL_STATUSES = frozenset({"delivered", "undelivered", "failed"})

# Twilio's message statuses as this application records them: once Twilio has
# the message (accepted, queued, sending) it has left our outbox, so it is "sent".
PROVIDER_STATUS = {
    "accepted": "sent",
    "scheduled": "sent",
    "queued": "sent",
    "sending": "sent",
    "sent": "sent",
    "delivered": "delivered",
    "read": "delivered",
    "undelivered": "undelivered",
    "failed": "failed",
    "canceled": "failed",
}


def may_advance(current: str, new: str) -> bool:
    """True when ``current`` may become ``new``: only forwards, never out of a final status."""
    if current in FINAL_STATUSES or new not in STATUS_RANK or current not in STATUS_RANK:
        return False
    return STATUS_RANK[new] > STATUS_RANK[current]


def statuses_before(new: str) -> tuple[str, ...]:
    """The statuses from which a message may move to ``new`` (for a conditional UPDATE)."""
    return tuple(s for s in STATUS_RANK if may_advance(s, new))


def quiet_until(now: datetime, start_hour: int = 21, end_hour: int = 8) -> datetime | None:
    """When quiet hours (``start_hour``..``end_hour`` Helsinki time) end, or None outside them.

    Wall-clock hours are used, so 08:00 stays 08:00 across the changes to and
    from summer time.
    """
    local = now.astimezone(HELSINKI)
    if end_hour <= local.hour < start_hour:
        return None
    day: date = local.date() if local.hour < end_hour else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end_hour), tzinfo=HELSINKI).astimezone(UTC)


def cancellation_is_urgent(now: datetime, errand_starts_at: datetime | None, release: datetime) -> bool:
    """A cancellation may break quiet hours when the errand is today or starts so
    soon after the quiet hours that a held text would come too late."""
    if errand_starts_at is None:
        return False
    same_day = errand_starts_at.astimezone(HELSINKI).date() == now.astimezone(HELSINKI).date()
    return same_day or errand_starts_at <= release + timedelta(hours=2)


def backoff_seconds(attempts: int, base: float, cap: float, rng: random.Random | None = None) -> float:
    """Exponential backoff with "equal jitter": half the delay fixed, half random.

    ``attempts`` is the number of attempts made so far (1 after the first).
    """
    rng = rng or random
    delay = min(cap, base * (2 ** max(0, attempts - 1)))
    return delay / 2 + rng.uniform(0, delay / 2)
