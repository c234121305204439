"""Reads for the pages: who may see what, lists, and the data behind each page.

Privacy: coordinators see the people of their organizations (admins see
everyone); the rule is :mod:`app.policy`. A helper sees only encounters they took part in, their own stage
and the stages of their pairs, and older people only by first name and
initial: never a surname or an address.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from app import policy
from app.encounters import wellbeing
from app.extensions import db
from app.models import (
    Assignment,
    CheckIn,
    Elder,
    Encounter,
    EncounterParticipant,
    Errand,
    HelperProfile,
    Municipality,
    User,
    Village,
)
from app.policy import org_scope

# --- Scope ------------------------------------------------------------------------------


def own_helper_id(user: User) -> int | None:
    profile = user.helper_profile if user.role == "helper" else None
    return profile.id if profile is not None else None


def can_see_helper(user: User, helper: HelperProfile) -> bool:
    if user.role == "helper":
        return own_helper_id(user) == helper.id
    return bool(policy.coordinator_may_see_helper(user, helper))


def can_see_elder(user: User, elder: Elder) -> bool:
    """Older people's pages are for coordinators of their organization (and admins)."""
    if user.role == "helper":
        return False
    return bool(policy.coordinator_may_see_elder(user, elder))


def has_met(helper_id: int, elder_id: int) -> bool:
    """The helper and the elder have an encounter together or an errand (done or coming)."""
    ep1, ep2 = sa.orm.aliased(EncounterParticipant), sa.orm.aliased(EncounterParticipant)
    together = sa.select(ep1.id).join(ep2, ep1.encounter_id == ep2.encounter_id)
    together = together.where(ep1.helper_id == helper_id, ep2.elder_id == elder_id)
    errand = (
        sa.select(Assignment.id)
        .join(Errand, Errand.id == Assignment.errand_id)
        .where(
            Assignment.helper_id == helper_id, Errand.elder_id == elder_id, Assignment.status.in_(("active", "done"))
        )
    )
    return bool(db.session.scalar(sa.select(sa.exists(together)))) or bool(
        db.session.scalar(sa.select(sa.exists(errand)))
    )


def can_see_pair(user: User, helper: HelperProfile, elder: Elder) -> bool:
    if user.role == "helper":
        return own_helper_id(user) == helper.id and has_met(helper.id, elder.id)
    return bool(policy.coordinator_may_see_pair(user, helper, elder))


def elder_name(user: User, elder: Elder | None, first: str | None = None, last: str | None = None) -> str:
    """Full name for coordinators of the elder's organization; first name and initial otherwise."""
    if elder is not None:
        first, last = elder.first_name, elder.last_name
    first, last = first or "", last or ""
    if elder is not None and can_see_elder(user, elder):
        return f"{first} {last}".strip()
    return f"{first} {last[:1]}.".strip() if last else first


def visible_encounters(user: User) -> sa.Select:
    """Encounters the user may see: a helper's own; for coordinators those of their
    organizations or with their organizations' people taking part."""
    stmt = sa.select(Encounter)
    if user.role == "helper":
        mine = sa.select(EncounterParticipant.encounter_id).where(
            EncounterParticipant.helper_id == (own_helper_id(user) or -1)
        )
        return stmt.where(Encounter.id.in_(mine))
    if org_scope(user) is None:
        return stmt

    def mine(column: sa.ColumnElement) -> sa.ColumnElement[bool]:
        return policy.scope_condition(user, column)

    people = (
        sa.select(EncounterParticipant.encounter_id)
        .outerjoin(HelperProfile, HelperProfile.id == EncounterParticipant.helper_id)
        .outerjoin(Elder, Elder.id == EncounterParticipant.elder_id)
        .where(sa.or_(mine(HelperProfile.organization_id), mine(Elder.organization_id)))
    )
    return stmt.where(sa.or_(mine(Encounter.organization_id), Encounter.id.in_(people)))


def allowed_helper_ids(user: User) -> set[int]:
    """Helpers the user may add to an encounter."""
    if user.role == "helper":
        own = own_helper_id(user)
        return {own} if own is not None else set()
    stmt = sa.select(HelperProfile.id).where(HelperProfile.status == "approved")
    stmt = stmt.where(policy.scope_condition(user, HelperProfile.organization_id))
    return set(db.session.scalars(stmt))


def met_elder_ids(helper_id: int) -> set[int]:
    """Older people a helper has met: on errands (done or coming) or in encounters."""
    via_errands = (
        sa.select(Errand.elder_id)
        .join(Assignment, Assignment.errand_id == Errand.id)
        .where(Assignment.helper_id == helper_id, Assignment.status.in_(("active", "done")))
    )
    mine = sa.select(EncounterParticipant.encounter_id).where(EncounterParticipant.helper_id == helper_id)
    via_encounters = sa.select(EncounterParticipant.elder_id).where(
        EncounterParticipant.encounter_id.in_(mine), EncounterParticipant.elder_id.is_not(None)
    )
    return set(db.session.scalars(via_errands)) | set(db.session.scalars(via_encounters))


def allowed_elder_ids(user: User) -> set[int]:
    """Older people the user may add to an encounter."""
    if user.role == "helper":
        own = own_helper_id(user)
        if own is None:
            return set()
        met = met_elder_ids(own)
        if not met:
            return set()
        erased = sa.select(Elder.id).where(Elder.id.in_(list(met)), Elder.erased_at.is_not(None))
        return met - set(db.session.scalars(erased))
    stmt = sa.select(Elder.id).where(Elder.status.in_(("active", "paused")), Elder.erased_at.is_(None))
    stmt = stmt.where(policy.scope_condition(user, Elder.organization_id))
    return set(db.session.scalars(stmt))


def helper_choices(user: User) -> list[tuple[int, str]]:
    ids = allowed_helper_ids(user)
    rows = db.session.execute(
        sa.select(HelperProfile.id, HelperProfile.first_name, HelperProfile.last_name)
        .where(HelperProfile.id.in_(ids or [-1]))
        .order_by(HelperProfile.first_name, HelperProfile.last_name, HelperProfile.id)
    )
    return [(r.id, f"{r.first_name} {r.last_name}") for r in rows]


def elder_choices(user: User) -> list[tuple[int, str]]:
    ids = allowed_elder_ids(user)
    rows = db.session.execute(
        sa.select(Elder.id, Elder.first_name, Elder.last_name, Municipality.name)
        .outerjoin(Municipality, Municipality.id == Elder.municipality_id)
        .where(Elder.id.in_(ids or [-1]))
        .order_by(Elder.first_name, Elder.last_name, Elder.id)
    )
    if user.role == "helper":
        return [(r.id, f"{r.first_name} {r.last_name[:1]}.") for r in rows]
    return [(r.id, f"{r.first_name} {r.last_name}" + (f" ({r.name})" if r.name else "")) for r in rows]


def area_choices(user: User) -> list[tuple[str, list[tuple[str, str]]]]:
    """Municipalities (and their villages) of the user's organizations, for a grouped select."""
    munis = list(db.session.scalars(policy.scope_municipalities(user)))
    villages: dict[int, list[Village]] = {}
    for village in db.session.scalars(
        sa.select(Village).where(Village.municipality_id.in_([m.id for m in munis] or [-1])).order_by(Village.name)
    ):
        villages.setdefault(village.municipality_id, []).append(village)
    groups = []
    for muni in munis:
        options = [(f"m{muni.id}", muni.name)]
        options += [(f"v{v.id}", f"{v.name}, {muni.name}") for v in villages.get(muni.id, [])]
        groups.append((muni.name, options))
    return groups


# --- Names and summaries --------------------------------------------------------------------


@dataclass
class PersonRef:
    kind: str  # helper|elder
    id: int
    name: str
    organization_id: int | None = None


def names_for(user: User, helper_ids: Iterable[int], elder_ids: Iterable[int]) -> dict[tuple[str, int], PersonRef]:
    """Display names for many people in two queries, following the privacy rules."""
    out: dict[tuple[str, int], PersonRef] = {}
    helper_ids, elder_ids = set(helper_ids), set(elder_ids)
    if helper_ids:
        for r in db.session.execute(
            sa.select(
                HelperProfile.id, HelperProfile.first_name, HelperProfile.last_name, HelperProfile.organization_id
            ).where(HelperProfile.id.in_(helper_ids))
        ):
            full = bool(policy.may_see_org(user, r.organization_id))
            name = f"{r.first_name} {r.last_name}" if full else f"{r.first_name} {r.last_name[:1]}."
            out[("helper", r.id)] = PersonRef("helper", r.id, name, r.organization_id)
    if elder_ids:
        for r in db.session.execute(
            sa.select(Elder.id, Elder.first_name, Elder.last_name, Elder.organization_id).where(Elder.id.in_(elder_ids))
        ):
            full = bool(policy.may_see_org(user, r.organization_id))
            name = f"{r.first_name} {r.last_name}" if full else f"{r.first_name} {r.last_name[:1]}."
            out[("elder", r.id)] = PersonRef("elder", r.id, name, r.organization_id)
    return out


@dataclass
class EncounterRow:
    """An encounter as listed: what, where, when and who took part."""

    encounter: Encounter
    helpers: list[PersonRef] = field(default_factory=list)
    elders: list[PersonRef] = field(default_factory=list)
    place: str | None = None


def encounter_rows(user: User, encounters: Collection[Encounter]) -> list[EncounterRow]:
    """Participants' names and place names for a page of encounters, in four queries."""
    ids = [e.id for e in encounters]
    parts = list(
        db.session.execute(
            sa.select(EncounterParticipant.encounter_id, EncounterParticipant.helper_id, EncounterParticipant.elder_id)
            .where(EncounterParticipant.encounter_id.in_(ids or [-1]))
            .order_by(EncounterParticipant.id)
        )
    )
    names = names_for(user, (p.helper_id for p in parts if p.helper_id), (p.elder_id for p in parts if p.elder_id))
    places = _place_names(e.village_id for e in encounters), _municipality_names(e.municipality_id for e in encounters)
    rows = {e.id: EncounterRow(e) for e in encounters}
    for p in parts:
        row = rows[p.encounter_id]
        if p.helper_id and ("helper", p.helper_id) in names:
            row.helpers.append(names[("helper", p.helper_id)])
        if p.elder_id and ("elder", p.elder_id) in names:
            row.elders.append(names[("elder", p.elder_id)])
    for e in encounters:
        row = rows[e.id]
        area = places[0].get(e.village_id) or places[1].get(e.municipality_id)
        row.place = ", ".join(x for x in (e.place_name, area) if x) or None
    return [rows[e.id] for e in encounters]


def _place_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return {
        r.id: f"{r.name}, {r.muni}"
        for r in db.session.execute(
            sa.select(Village.id, Village.name, Municipality.name.label("muni"))
            .join(Municipality, Municipality.id == Village.municipality_id)
            .where(Village.id.in_(wanted))
        )
    }


def _municipality_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    stmt = sa.select(Municipality.id, Municipality.name).where(Municipality.id.in_(wanted))
    return dict(db.session.execute(stmt).all())


def encounters_by_id(user: User, ids: Iterable[int]) -> dict[int, EncounterRow]:
    """Visible encounters with these ids, as rows (for a stage's evidence)."""
    wanted = set(ids)
    if not wanted:
        return {}
    encounters = list(
        db.session.scalars(
            visible_encounters(user).where(Encounter.id.in_(wanted)).order_by(Encounter.occurred_at, Encounter.id)
        )
    )
    return {row.encounter.id: row for row in encounter_rows(user, encounters)}


@dataclass
class EncounterFilter:
    kind: str | None = None
    municipality_id: int | None = None
    date_from: datetime | None = None
    date_to: datetime | None = None  # exclusive
    source: str | None = None  # errand|logged
    helper_id: int | None = None
    elder_id: int | None = None


def search_encounters(user: User, flt: EncounterFilter) -> sa.Select:
    stmt = visible_encounters(user)
    if flt.kind:
        stmt = stmt.where(Encounter.kind == flt.kind)
    if flt.municipality_id:
        stmt = stmt.where(Encounter.municipality_id == flt.municipality_id)
    if flt.date_from:
        stmt = stmt.where(Encounter.occurred_at >= flt.date_from)
    if flt.date_to:
        stmt = stmt.where(Encounter.occurred_at < flt.date_to)
    if flt.source == "errand":
        stmt = stmt.where(Encounter.errand_id.is_not(None))
    elif flt.source == "logged":
        stmt = stmt.where(Encounter.errand_id.is_(None))
    if flt.helper_id:
        stmt = stmt.where(
            Encounter.id.in_(
                sa.select(EncounterParticipant.encounter_id).where(EncounterParticipant.helper_id == flt.helper_id)
            )
        )
    if flt.elder_id:
        stmt = stmt.where(
            Encounter.id.in_(
                sa.select(EncounterParticipant.encounter_id).where(EncounterParticipant.elder_id == flt.elder_id)
            )
        )
    return stmt.order_by(Encounter.occurred_at.desc(), Encounter.id.desc())


def municipality_filter_choices(user: User) -> list[tuple[int, str]]:
    return [(int(v[1:]), label) for _group, opts in area_choices(user) for v, label in opts if v.startswith("m")]


# --- Check-in series ----------------------------------------------------------------------


@dataclass
class CheckinPoint:
    checkin: CheckIn
    scores: dict[str, Any]
    vs_previous: dict[str, Any] | None  # wellbeing.change result


@dataclass
class CheckinSeries:
    kind: str
    points: list[CheckinPoint]
    overall: dict[str, Any] | None  # first vs latest
    taken_by: dict[int, str]

    @property
    def latest(self) -> CheckinPoint | None:
        return self.points[-1] if self.points else None


def checkin_series(kind: str, person_id: int) -> CheckinSeries:
    """A person's check-ins, oldest first, each with its change from the previous one."""
    column = CheckIn.helper_id if kind == "helper" else CheckIn.elder_id
    rows = list(
        db.session.scalars(
            sa.select(CheckIn)
            .where(CheckIn.subject_kind == kind, column == person_id)
            .order_by(CheckIn.taken_at, CheckIn.id)
        )
    )
    points: list[CheckinPoint] = []
    previous = None
    for row in rows:
        scores = {**(row.scores or {}), "kind": kind}
        try:
            diff = wellbeing.change(previous, scores) if previous is not None else None
        except ValueError:
            continue
        points.append(CheckinPoint(row, scores, diff))
        previous = scores
    overall = wellbeing.change(points[0].scores, points[-1].scores) if len(points) > 1 else None
    by_ids = {r.taken_by_id for r in rows if r.taken_by_id}
    taken_by = (
        dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(by_ids))).all()) if by_ids else {}
    )
    return CheckinSeries(kind, points, overall, taken_by)


def user_names(ids: Iterable[int | None]) -> dict[int, str]:
    wanted = {i for i in ids if i}
    if not wanted:
        return {}
    return dict(db.session.execute(sa.select(User.id, User.name).where(User.id.in_(wanted))).all())
