"""The week plan's tests share one small week (see :func:`week`)."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from app.planning import service
from tests.factories import helsinki, local_today
from tests.sms.support import twilio_token  # noqa: F401

EAST_KM = 0.0205  # degrees of longitude per km at Kajaani's latitude (about)


def next_monday() -> date:
    return service.monday_of(local_today()) + timedelta(days=7)


@pytest.fixture()
def week(db, make):
    """Two errands at the same time on Monday: Aili's (asked first) and Bertta's 4 km east.
    Veeti lives by Aili and reaches both; Saara lives 4 km west and reaches only Aili.
    Best first gives Aili's errand to Veeti (nearest) and leaves Bertta's without anyone."""
    org = make.organization(name="Kajaanin 4H")
    coordinator = make.coordinator(org=org)
    monday = next_monday()
    at = helsinki(monday.year, monday.month, monday.day, 16)
    aili = make.elder(org=org, first_name="Aili", lat=64.2270, lon=27.7300)
    bertta = make.elder(org=org, first_name="Bertta", lat=64.2270, lon=27.7300 + 4 * EAST_KM)
    veeti = make.helper(org=org, age=20, first_name="Veeti", lat=64.2268, lon=27.7295, max_distance_km=10.0)
    saara = make.helper(
        org=org, age=20, first_name="Saara", lat=64.2270, lon=27.7300 - 4 * EAST_KM, max_distance_km=5.0
    )
    first = make.errand(aili, at)
    second = make.errand(bertta, at)
    second.request.created_at = first.request.created_at + timedelta(minutes=5)
    db.session.commit()
    return {
        "org": org,
        "coordinator": coordinator,
        "monday": monday,
        "first": first,
        "second": second,
        "veeti": veeti,
        "saara": saara,
    }
