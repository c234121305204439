"""Changes: logging encounters, feedback, stage overrides and check-ins.

Each function checks its rules, writes rows and an audit record, and
flushes; the route commits once. Rule violations raise `EncounterError`
with a stable ``code`` (and the form field it belongs to) that the route
turns into a message in the user's language.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

import sqlalchemy as sa

from app import audit, policy, rollups
from app.encounters import stages, wellbeing
from app.encounters.queries import allowed_elder_ids, allowed_helper_ids, org_scope
from app.extensions import db
from app.models import (
    CheckIn,
    Elder,
    Encounter,
    EncounterParticipant,
    HelperProfile,
    StageOverride,
    User,
    Village,
    utcnow,
)

MAX_DURATION_MINUTES = 12 * 60
MAX_FUTURE = timedelta(minutes=15)
"""Encounters are logged after they took place; a little clock skew is allowed."""


class EncounterError(Exception):
    """A rule was broken; ``code`` names it, ``field`` is the form field it concerns."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class EncounterInput:
    helper_ids: tuple[int, ...]
    elder_ids: tuple[int, ...]
    kind: str
    place_kind: str
    occurred_at: datetime
    duration_minutes: int
    initiated_by: str
    led_by: str
    organised_by_participant: bool = False
    place_name: str | None = None
    organization_id: int | None = None
    municipality_id: int | None = None
    village_id: int | None = None
    title: str | None = None
    notes: str | None = None
    own_feedback_score: int | None = None  # a helper's own feedback when they log it
    own_feedback_comment: str | None = None


def _check_input(data: EncounterInput, now: datetime) -> None:
    if data.kind not in stages.KINDS:
        raise EncounterError("unknown_kind", "kind")
    if data.place_kind not in stages.PLACE_KINDS:
        raise EncounterError("unknown_place", "place_kind")
    if data.place_kind == "shared_space" and not (data.place_name or "").strip():
        raise EncounterError("place_name_required", "place_name")
    if data.initiated_by not in stages.INITIATORS:
        raise EncounterError("unknown_initiator", "initiated_by")
    if data.led_by not in stages.LEADERS:
        raise EncounterError("unknown_leader", "led_by")
    if data.occurred_at.tzinfo is None:
        raise ValueError("occurred_at must be timezone-aware")
    if data.occurred_at > now + MAX_FUTURE:
        raise EncounterError("in_future", "date")
    if not 1 <= data.duration_minutes <= MAX_DURATION_MINUTES:
        raise EncounterError("bad_duration", "duration_minutes")
    if not data.helper_ids:
        raise EncounterError("no_helpers", "helper_ids")
    if not data.elder_ids:
        raise EncounterError("no_elders", "elder_ids")
    if data.own_feedback_score is not None and not 1 <= data.own_feedback_score <= 5:
        raise EncounterError("bad_score", "own_score")


def log_encounter(data: EncounterInput, *, by: User, now: datetime | None = None) -> Encounter:
    """Record an encounter that was not an errand, with its participants.

    Coordinators pick helpers and older residents of their organizations; a
    helper is always a participant of what they log and picks older people
    they have met. Raises `EncounterError`.
    """
    now = now or utcnow()
    helper_ids = tuple(dict.fromkeys(data.helper_ids))
    elder_ids = tuple(dict.fromkeys(data.elder_ids))
    own_helper_id = None
    if by.role == "helper":
        profile = by.helper_profile
        if profile is None or profile.status != "approved":
            raise EncounterError("not_allowed")
        own_helper_id = profile.id
        helper_ids = (profile.id, *(h for h in helper_ids if h != profile.id))
    _check_input(replace(data, helper_ids=helper_ids, elder_ids=elder_ids), now)
    if not set(helper_ids) <= allowed_helper_ids(by):
        raise EncounterError("helper_not_allowed", "helper_ids")
    if not set(elder_ids) <= allowed_elder_ids(by):
        raise EncounterError("elder_not_allowed", "elder_ids")

    elders = {e.id: e for e in db.session.scalars(sa.select(Elder).where(Elder.id.in_(elder_ids)))}
    organization_id = _organization_for(data, by, elders[elder_ids[0]])
    municipality_id, village_id = data.municipality_id, data.village_id
    if village_id is not None:
        village = db.session.get(Village, village_id)
        if village is None:
            raise EncounterError("unknown_place", "area")
        municipality_id = village.municipality_id
    elif municipality_id is None:
        first = elders[elder_ids[0]]
        municipality_id, village_id = first.municipality_id, first.village_id

    return _write(
        data, helper_ids, elder_ids, organization_id, municipality_id, village_id, by=by, own_helper_id=own_helper_id
    )


def record_activity_attendance(data: EncounterInput, *, by: User, now: datetime | None = None) -> Encounter:
    """One encounter with everyone who came to a shared activity (app.activities.attendance).

    The activities area has checked who may take the attendance and that the people are the
    activity's own sign-ups; the rules of an encounter (kind, place, time, young and old) are
    checked here, as for any encounter. Raises `EncounterError`."""
    now = now or utcnow()
    helper_ids = tuple(dict.fromkeys(data.helper_ids))
    elder_ids = tuple(dict.fromkeys(data.elder_ids))
    _check_input(replace(data, helper_ids=helper_ids, elder_ids=elder_ids), now)
    return _write(
        data,
        helper_ids,
        elder_ids,
        data.organization_id,
        data.municipality_id,
        data.village_id,
        by=by,
        own_helper_id=None,
    )


def _write(
    data: EncounterInput,
    helper_ids: tuple[int, ...],
    elder_ids: tuple[int, ...],
    organization_id: int | None,
    municipality_id: int | None,
    village_id: int | None,
    *,
    by: User,
    own_helper_id: int | None,
) -> Encounter:
    encounter = Encounter(
        organization_id=organization_id,
        kind=data.kind,
        place_kind=data.place_kind,
        place_name=(data.place_name or "").strip() or None,
        municipality_id=municipality_id,
        village_id=village_id,
        occurred_at=data.occurred_at,
        duration_minutes=data.duration_minutes,
        initiated_by=data.initiated_by,
        led_by=data.led_by,
        organised_by_participant=data.organised_by_participant,
        title=(data.title or "").strip() or None,
        notes=(data.notes or "").strip() or None,
        logged_by_id=by.id,
    )
    for helper_id in helper_ids:
        participant = EncounterParticipant(helper_id=helper_id)
        if helper_id == own_helper_id and data.own_feedback_score is not None:
            participant.feedback_score = data.own_feedback_score
            participant.feedback_comment = (data.own_feedback_comment or "").strip() or None
            participant.feedback_via = "web"
        encounter.participants.append(participant)
    for elder_id in elder_ids:
        encounter.participants.append(EncounterParticipant(elder_id=elder_id))
    db.session.add(encounter)
    db.session.flush()
    rollups.touch(encounter)
    audit.record(
        "encounter.logged",
        encounter,
        actor=by,
        kind=encounter.kind,
        helpers=len(helper_ids),
        elders=len(elder_ids),
    )
    return encounter


def _organization_for(data: EncounterInput, by: User, first_elder: Elder) -> int | None:
    if by.role == "helper":
        return by.helper_profile.organization_id if by.helper_profile else first_elder.organization_id
    scope = org_scope(by)
    if data.organization_id is not None:
        if not policy.may_see_org(by, data.organization_id):
            raise EncounterError("organization_not_allowed", "organization_id")
        return data.organization_id
    if scope is not None and first_elder.organization_id not in scope and scope:
        return min(scope)
    return first_elder.organization_id


def record_feedback(
    encounter: Encounter,
    participant_id: int,
    score: int,
    comment: str | None,
    *,
    via: str,
    by: User | None,
) -> EncounterParticipant:
    """Store one participant's feedback (1-5 and a comment). Raises `EncounterError`."""
    participant = next((p for p in encounter.participants if p.id == participant_id), None)
    if participant is None:
        raise EncounterError("unknown_participant")
    if not isinstance(score, int) or not stages.FEEDBACK_MIN <= score <= stages.FEEDBACK_MAX:
        raise EncounterError("bad_score", "score")
    if via not in ("web", "sms", "voice", "coordinator"):
        raise ValueError(f"unknown feedback channel {via!r}")
    participant.feedback_score = score
    participant.feedback_comment = (comment or "").strip() or None
    participant.feedback_via = via
    db.session.flush()
    audit.record(
        "encounter.feedback",
        encounter,
        actor=by,
        participant_id=participant.id,
        via=via,
        side="helper" if participant.helper_id else "elder",
    )
    return participant


# --- Stage overrides -----------------------------------------------------------------------


def _subject(kind: str, helper_id: int | None, elder_id: int | None) -> tuple[int | None, int | None]:
    if kind == "pair" and helper_id is not None and elder_id is not None:
        return helper_id, elder_id
    if kind == "helper" and helper_id is not None:
        return helper_id, None
    if kind == "elder" and elder_id is not None:
        return None, elder_id
    raise ValueError(f"bad override subject: {kind} helper={helper_id} elder={elder_id}")


def set_override(
    kind: str,
    helper_id: int | None,
    elder_id: int | None,
    stage: int,
    reason: str,
    *,
    by: User,
    now: datetime | None = None,
) -> StageOverride:
    """A coordinator sets the stage of a pair or person by hand, with a reason.

    The latest active override wins; earlier ones stay in the history.
    """
    helper_id, elder_id = _subject(kind, helper_id, elder_id)
    if stage not in stages.STAGES:
        raise EncounterError("bad_stage", "stage")
    reason = (reason or "").strip()
    if not reason:
        raise EncounterError("reason_required", "reason")
    override = StageOverride(
        subject_kind=kind,
        helper_id=helper_id,
        elder_id=elder_id,
        stage=stage,
        reason=reason,
        by_id=by.id,
        at=now or utcnow(),
        active=True,
    )
    db.session.add(override)
    db.session.flush()
    audit.record(
        "stage_override.set",
        override,
        actor=by,
        subject_kind=kind,
        helper_id=helper_id,
        elder_id=elder_id,
        stage=stage,
        reason=reason,
    )
    return override


def clear_override(
    kind: str, helper_id: int | None, elder_id: int | None, *, by: User, now: datetime | None = None
) -> int:
    """Clear every active override of a pair or person; the computed stage applies again."""
    helper_id, elder_id = _subject(kind, helper_id, elder_id)
    now = now or utcnow()
    active = list(
        db.session.scalars(
            sa.select(StageOverride).where(
                StageOverride.subject_kind == kind,
                StageOverride.helper_id.is_(None) if helper_id is None else StageOverride.helper_id == helper_id,
                StageOverride.elder_id.is_(None) if elder_id is None else StageOverride.elder_id == elder_id,
                StageOverride.active.is_(True),
            )
        )
    )
    for override in active:
        override.active = False
        override.cleared_at = now
        override.cleared_by_id = by.id
        audit.record("stage_override.cleared", override, actor=by, subject_kind=kind, stage=override.stage)
    db.session.flush()
    return len(active)


# --- Check-ins ----------------------------------------------------------------------------


def record_checkin(
    kind: str,
    person: HelperProfile | Elder,
    answers: Mapping[str, int],
    *,
    by: User,
    via: str,
    taken_at: datetime | None = None,
    now: datetime | None = None,
) -> CheckIn:
    """Score and store one well-being check-in. Raises `wellbeing.InvalidAnswers`."""
    now = now or utcnow()
    taken_at = taken_at or now
    if taken_at > now + MAX_FUTURE:
        raise EncounterError("in_future", "taken_on")
    scores = wellbeing.score(kind, dict(answers))  # type: ignore[arg-type]
    checkin = CheckIn(
        subject_kind=kind,
        helper_id=person.id if kind == "helper" else None,
        elder_id=person.id if kind == "elder" else None,
        taken_at=taken_at,
        answers=dict(answers),
        scores=scores,
        taken_by_id=by.id,
        via=via,
    )
    db.session.add(checkin)
    db.session.flush()
    rollups.touch(checkin)  # the report's check-in rows of this person are redone before the commit
    audit.record("checkin.recorded", checkin, actor=by, subject_kind=kind, person_id=person.id, via=via)
    return checkin
