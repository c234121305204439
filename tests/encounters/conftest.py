"""Fixtures for the encounters area: encounters and check-ins written straight to
the database."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from app.encounters import wellbeing
from app.models import CheckIn, Encounter, EncounterParticipant, utcnow


class EncounterMaker:
    def __init__(self, session):
        self.session = session

    def encounter(
        self,
        helpers,
        elders,
        *,
        days_ago: float = 1,
        at: datetime | None = None,
        kind: str = "home_help",
        place: str = "home",
        initiated_by: str = "coordinator",
        led_by: str = "helper",
        organised: bool = False,
        org=None,
        municipality_id: int | None = None,
        scores: tuple[int, ...] = (),
        **fields,
    ) -> Encounter:
        helpers = helpers if isinstance(helpers, list | tuple) else [helpers]
        elders = elders if isinstance(elders, list | tuple) else [elders]
        org_id = org.id if org is not None else elders[0].organization_id
        encounter = Encounter(
            organization_id=org_id,
            kind=kind,
            place_kind=place,
            place_name=fields.pop("place_name", "Kirjasto" if place == "shared_space" else None),
            municipality_id=municipality_id or elders[0].municipality_id,
            occurred_at=at or utcnow() - timedelta(days=days_ago),
            duration_minutes=fields.pop("duration_minutes", 60),
            initiated_by=initiated_by,
            led_by=led_by,
            organised_by_participant=organised,
            **fields,
        )
        score_iter = iter(scores)
        for h in helpers:
            encounter.participants.append(EncounterParticipant(helper_id=h.id, feedback_score=next(score_iter, None)))
        for e in elders:
            encounter.participants.append(EncounterParticipant(elder_id=e.id, feedback_score=next(score_iter, None)))
        self.session.add(encounter)
        self.session.commit()
        return encounter

    def checkin(self, kind: str, person, answers: dict[str, int], *, days_ago: float = 0, at=None) -> CheckIn:
        row = CheckIn(
            subject_kind=kind,
            helper_id=person.id if kind == "helper" else None,
            elder_id=person.id if kind == "elder" else None,
            taken_at=at or utcnow() - timedelta(days=days_ago),
            answers=answers,
            scores=wellbeing.score(kind, answers),
            via="coordinator",
        )
        self.session.add(row)
        self.session.commit()
        return row


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


@pytest.fixture()
def enc(db) -> EncounterMaker:
    return EncounterMaker(db.session)


def english(client) -> None:
    """Switch the client's pages to English."""
    client.submit("/lang", {"lang": "en", "next": "/"}, page="/")


def encounter_form(**overrides) -> dict:
    """A valid encounter form (1 h walk outdoors yesterday noon), with overrides."""
    from app.i18n import HELSINKI

    day = (utcnow().astimezone(HELSINKI) - timedelta(days=1)).date()
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
