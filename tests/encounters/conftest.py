"""Helpers of the encounters area: check-in answers, the encounter form, English pages
(encounters and check-ins are made with ``make.encounter`` and ``make.checkin``)."""

from __future__ import annotations

from datetime import timedelta

from tests.factories import local_today


def elder_answers(total: int, good_days: int = 3) -> dict[str, int]:
    """Answers whose UCLA-3 total is ``total`` (3-9)."""
    parts = [1, 1, 1]
    for i in range(total - 3):
        parts[i % 3] += 1
    return {
        "ucla_companionship": parts[0],
        "ucla_left_out": parts[1],
        "ucla_isolated": parts[2],
        "good_days": good_days,
    }


def helper_answers(role: int, future: int) -> dict[str, int]:
    return {"meaningful_role": role, "future_belief": future}


def english(client) -> None:
    """Switch the client's pages to English."""
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")


def encounter_form(**overrides) -> dict:
    """A valid encounter form (1 h walk outdoors yesterday noon), with overrides."""
    day = local_today() - timedelta(days=1)
    data = {
        "kind": "company_walk",
        "place_kind": "outdoors",
        "place_name": "",
        "date": day.isoformat(),
        "time": "12:00",
        "duration_minutes": "60",
        "initiated_by": "coordinator",
        "led_by": "helper",
        "title": "",
        "notes": "",
    }
    data.update(overrides)
    return data
