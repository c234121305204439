"""Fixtures for the coordinator's side of errands."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.errands.requests import RequestInput, create_request, local_to_utc
from app.i18n import HELSINKI
from app.models import HelperProfile, TaskType, User, utcnow

_seq = itertools.count(1)
KAJAANI = (64.2263, 27.7290)


def task_id(session, code: str = "shopping") -> int:
    return session.scalar(sa.select(TaskType.id).where(TaskType.code == code))


def local_today() -> date:
    return utcnow().astimezone(HELSINKI).date()


def at_local(day: date, hour: int, minute: int = 0) -> datetime:
    return local_to_utc(day, time(hour, minute))


@pytest.fixture()
def org(make):
    return make.organization(name="Kajaanin 4H")


@pytest.fixture()
def coordinator(make, org):
    return make.coordinator(org=org, name="Kaisa Koordinaattori")


@pytest.fixture()
def coord(client, coordinator):
    """A client logged in as the coordinator of ``org``."""
    client.login(coordinator.email)
    client.user = coordinator
    return client


@pytest.fixture()
def elder(make, org):
    return make.elder(org=org, first_name="Aili", last_name="Ahonen", with_relative=True)


@pytest.fixture()
def errand_for(db, coordinator):
    """Make a one-off errand for an elder: ``errand_for(elder, day=..., hour=...)``."""

    def build(elder, *, day: date | None = None, hour: int = 12, minutes: int = 60, task: str = "shopping", **kw):
        day = day or local_today() + timedelta(days=2)
        req = create_request(
            RequestInput(
                elder_id=elder.id,
                task_type_id=task_id(db.session, task),
                date_from=day,
                time_from=time(hour, 0),
                duration_minutes=minutes,
                **kw,
            ),
            taken_by=coordinator,
        )
        db.session.commit()
        return req.errands[0]

    return build


def bulk_helpers(
    session,
    org,
    n: int,
    *,
    lat: float = KAJAANI[0],
    lon: float = KAJAANI[1],
    spread: float = 0.02,
    spots: list[tuple[float, float, float]] | None = None,
    **fields,
):
    """``n`` approved adult helpers around a point, inserted at once (no password hashing per row).

    ``spots``: instead, one helper at each ``(lat, lon, max_distance_km)``."""
    password_hash = session.scalar(sa.select(User.password_hash).limit(1)) or "x"
    if spots is None:
        km = fields.get("max_distance_km", 10.0)
        spots = [(lat + spread * ((i % 13) - 6) / 6, lon + spread * ((i % 7) - 3) / 3, km) for i in range(n)]
    profiles = []
    for spot_lat, spot_lon, km in spots:
        k = next(_seq)
        user = User(email=f"bulk{k}@example.fi", name=f"Bulk {k}", role="helper", password_hash=password_hash)
        profiles.append(
            HelperProfile(
                user=user,
                organization=org,
                first_name=f"Apu{k}",
                last_name="Joukko",
                birth_date=date(1999, 5, 5),
                phone=f"+35845{k:07d}",
                lat=spot_lat,
                lon=spot_lon,
                geocode_status="ok",
                transport="bike",
                max_distance_km=km,
                task_types=["shopping", "post", "walk", "company"],
                availability=[[d, p] for d in range(7) for p in ("morning", "afternoon", "evening")],
                languages=["fi"],
                status="approved",
                approved_at=utcnow(),
            )
        )
    session.add_all(profiles)
    session.commit()
    return profiles
