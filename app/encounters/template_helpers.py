"""Data for the blocks that other areas' pages include (elder page, helper's start page),
worked out by those pages' views (app.ui.blocks_for)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from app.encounters import checkin_services, labels, services, wellbeing
from app.encounters.queries import EncounterFilter, can_see_elder, encounter_rows, search_encounters
from app.extensions import db
from app.models import CheckIn, Elder, HelperProfile, utcnow
from app.ui import Block, blocks

BLOCK_RECENT = 3


def _recent(flt: EncounterFilter) -> list:
    encounters = list(db.session.scalars(search_encounters(current_user, flt).limit(BLOCK_RECENT)))
    return encounter_rows(current_user, encounters)


def _next_checkin(kind: str, person_id: int, enrolled_at) -> Any:
    column = CheckIn.helper_id if kind == "helper" else CheckIn.elder_id
    last = db.session.scalar(
        db.select(db.func.max(CheckIn.taken_at)).where(CheckIn.subject_kind == kind, column == person_id)
    )
    last = checkin_services.aware(last)
    return wellbeing.next_due(last, enrolled_at) if enrolled_at else None


def encounters_elder_summary(elder: Elder) -> dict[str, Any] | None:
    """Stage, latest encounters and next check-in of an older resident (coordinators only)."""
    if not current_user.is_authenticated or not can_see_elder(current_user, elder):
        return None
    now = utcnow()
    return {
        "stage": services.person_stage_for("elder", elder.id, now),
        "recent": _recent(EncounterFilter(elder_id=elder.id)),
        "next_checkin": _next_checkin("elder", elder.id, elder.consent_at or elder.created_at),
        "now": now,
        "labels": labels,
    }


def encounters_helper_summary(profile: HelperProfile | None) -> dict[str, Any] | None:
    """The logged-in helper's stage, latest encounters and check-in."""
    if not current_user.is_authenticated or current_user.role != "helper":
        return None
    if profile is None or profile.status != "approved":
        return None
    now = utcnow()
    return {
        "profile": profile,
        "stage": services.person_stage_for("helper", profile.id, now),
        "recent": _recent(EncounterFilter(helper_id=profile.id)),
        "next_checkin": _next_checkin("helper", profile.id, profile.approved_at or profile.created_at),
        "now": now,
        "labels": labels,
    }


blocks.add("elder_page", Block("encounters/_elder_block.html", encounters_elder_summary))
blocks.add("helper_home", Block("encounters/_helper_block.html", encounters_helper_summary))
