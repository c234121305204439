"""Fixtures for the helper's side of errands: dated errands made directly in the database."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, time, timedelta

import pytest
import sqlalchemy as sa

from app.i18n import HELSINKI
from app.models import Elder, Errand, HelpRequest, TaskType, utcnow

_codes = itertools.count(100)


def local(days_ahead: int, hour: int, minute: int = 0) -> datetime:
    """A UTC time ``days_ahead`` Helsinki days from today at hour:minute Helsinki time."""
    day = datetime.now(HELSINKI).date() + timedelta(days=days_ahead)
    return datetime.combine(day, time(hour, minute), tzinfo=HELSINKI).astimezone(UTC)


class ErrandMaker:
    def __init__(self, session, make):
        self.session = session
        self.make = make

    def __call__(
        self,
        *,
        elder: Elder | None = None,
        org=None,
        task: str = "shopping",
        starts_at: datetime | None = None,
        minutes: int = 60,
        helpers_needed: int = 1,
        state: str = "open",
        notes: str | None = None,
    ) -> Errand:
        elder = elder or self.make.elder(org=org)
        task_type = self.session.scalar(sa.select(TaskType).filter_by(code=task))
        starts_at = starts_at or local(3, 14)
        request = HelpRequest(
            elder=elder,
            organization_id=elder.organization_id,
            task_type=task_type,
            date_from=starts_at.astimezone(HELSINKI).date(),
            date_to=starts_at.astimezone(HELSINKI).date(),
            duration_minutes=minutes,
            helpers_needed=helpers_needed,
            notes_for_helper=notes,
        )
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
            short_code=str(next(_codes)),
        )
        self.session.add(errand)
        self.session.commit()
        return errand


@pytest.fixture()
def make_errand(db, make):
    return ErrandMaker(db.session, make)


@pytest.fixture()
def org(make):
    return make.organization()


@pytest.fixture()
def elder(make, org):
    return make.elder(
        org=org,
        first_name="Aili",
        last_name="Vanhasalo",
        street_address="Koulukatu 17 B 4",
        phone="+358401234567",
        access_notes="Ovikoodi 4321",
        health_notes="Sydänlääkitys",
        language="fi",
    )


def now() -> datetime:
    return utcnow()
