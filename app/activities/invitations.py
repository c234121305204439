"""Inviting people to an activity: who can be reached, by which channel, and sending.

* Young helpers of the activity's organization get an SMS (and see it on their board);
  a helper who stopped messages sees it on the board only.
* Older residents get it by their contact channel (:func:`app.errands.notifications.elder_recipient`):
  an SMS to their own mobile, an SMS to a relative, or, for a coordinator's call (or when
  messages are stopped), a "call to invite" alert for the coordinator.
* Every SMS goes through the outbox: their language, quiet hours for the older person's side
  and opt-outs are the dispatcher's; one invitation per person and activity (dedupe key).

Filters: village or distance from the place, profile (for group activities the seed's
*Yhteisöaktiivi* and *Arjen aktivisti* come first), stage, language, and people who have met
someone already signed up. Reads run a constant number of queries.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import audit
from app.activities import texts
from app.activities.errors import ActivityError
from app.activities.outbox import person_key, queue_for
from app.alerts import raise_alert
from app.encounters import stages
from app.encounters.services import encounter_facts
from app.errands.notifications import elder_recipient
from app.extensions import db
from app.matching.geo import haversine_km
from app.models import Activity, ActivityInvitation, Elder, HelperProfile, User, Village, utcnow
from app.sms.people import helper_language

#: Elder profiles invited first to group activities (CONCEPT.md: they like doing things with others).
GROUP_PROFILES = ("yhteisoaktiivi", "arjen_aktivisti")


@dataclass(frozen=True)
class InviteFilter:
    side: str = "both"  # both|young|old
    village_id: int | None = None
    max_km: float | None = None
    profiles: tuple[str, ...] = ()
    min_stage: int | None = None
    language: str | None = None
    met_before: bool = False


@dataclass
class Candidate:
    side: str
    id: int
    name: str
    channel: str  # sms|sms_relative|call|board
    language: str
    profile: str | None
    stage: int
    km: float | None
    village: str | None
    invited: bool = False
    signed_up: bool = False

    @property
    def key(self) -> str:
        return f"{'h' if self.side == 'young' else 'e'}{self.id}"


@dataclass
class Reach:
    candidates: list[Candidate]
    by_channel: Counter = field(default_factory=Counter)


def place_point(activity: Activity) -> tuple[float | None, float | None]:
    place = activity.place
    for lat, lon in (
        (place.lat, place.lon),
        (place.village.lat, place.village.lon) if place.village else (None, None),
        (place.municipality.lat, place.municipality.lon),
    ):
        if lat is not None and lon is not None:
            return lat, lon
    return None, None


def _km(point: tuple[float | None, float | None], lat: float | None, lon: float | None) -> float | None:
    if None in point or lat is None or lon is None:
        return None
    return haversine_km(point[0], point[1], lat, lon)  # type: ignore[arg-type]


def elder_channel(elder: Elder) -> str:
    recipient = elder_recipient(elder)
    if recipient is None:
        return "call"
    if recipient.channel == "voice":
        return "voice"
    return "sms_relative" if recipient.contact_id is not None else "sms"


def _met_signed_up(facts: list[stages.EncounterFact], activity: Activity) -> set[tuple[str, int]]:
    """People who have met someone of the other side already on this activity."""
    young = {s.helper_id for s in activity.signups if s.helper_id and s.status == "signed_up"}
    old = {s.elder_id for s in activity.signups if s.elder_id and s.status == "signed_up"}
    met: set[tuple[str, int]] = set()
    for fact in facts:
        if fact.helper_ids & young:
            met |= {("old", e) for e in fact.elder_ids}
        if fact.elder_ids & old:
            met |= {("young", h) for h in fact.helper_ids}
    return met


def candidates(activity: Activity, flt: InviteFilter, now: datetime | None = None) -> Reach:
    """Everyone of the activity's organization the filters let through, best first, with their channel."""
    now = now or utcnow()
    point = place_point(activity)
    facts = encounter_facts(db.session, organization_ids=[activity.organization_id])
    invited = set(
        db.session.execute(
            sa.select(ActivityInvitation.helper_id, ActivityInvitation.elder_id).where(
                ActivityInvitation.activity_id == activity.id
            )
        )
    )
    signed = {(s.side, s.helper_id or s.elder_id) for s in activity.signups if s.status != "cancelled"}
    met = _met_signed_up(facts, activity) if flt.met_before else set()
    out: list[Candidate] = []
    if flt.side in ("both", "young"):
        helpers = list(
            db.session.scalars(
                sa.select(HelperProfile)
                .options(selectinload(HelperProfile.user), selectinload(HelperProfile.village))
                .where(HelperProfile.organization_id == activity.organization_id, HelperProfile.status == "approved")
            )
        )
        helper_stages = stages.person_stages(facts, person_kind="helper", now=now, person_ids=[h.id for h in helpers])
        for h in helpers:
            out.append(
                Candidate(
                    "young",
                    h.id,
                    f"{h.first_name} {h.last_name}",
                    "board" if h.sms_opt_out or not h.phone else "sms",
                    helper_language(h),
                    h.youth_profile or h.suggested_profile,
                    helper_stages[h.id].stage,
                    _km(point, h.lat, h.lon),
                    h.village.name if h.village else None,
                    invited=(h.id, None) in invited,
                    signed_up=("young", h.id) in signed,
                )
            )
    if flt.side in ("both", "old"):
        elders = list(
            db.session.scalars(
                sa.select(Elder)
                .options(selectinload(Elder.contacts), selectinload(Elder.village))
                .where(Elder.organization_id == activity.organization_id, Elder.status == "active")
                .where(Elder.erased_at.is_(None))
            )
        )
        elder_stages = stages.person_stages(facts, person_kind="elder", now=now, person_ids=[e.id for e in elders])
        for e in elders:
            out.append(
                Candidate(
                    "old",
                    e.id,
                    e.full_name,
                    elder_channel(e),
                    e.language or "fi",
                    e.elder_profile,
                    elder_stages[e.id].stage,
                    _km(point, e.lat, e.lon),
                    e.village.name if e.village else None,
                    invited=(None, e.id) in invited,
                    signed_up=("old", e.id) in signed,
                )
            )
    village = db.session.get(Village, flt.village_id) if flt.village_id is not None else None
    kept = [c for c in out if _passes(c, flt, met, village.name if village else None)]
    kept.sort(key=lambda c: (c.profile not in GROUP_PROFILES, c.km if c.km is not None else 1e9, c.name))
    reach = Reach(kept)
    reach.by_channel.update(c.channel for c in kept if not c.invited and not c.signed_up)
    return reach


def _passes(c: Candidate, flt: InviteFilter, met: set[tuple[str, int]], village: str | None) -> bool:
    if flt.village_id is not None and c.village != village:
        return False
    if flt.max_km is not None and (c.km is None or c.km > flt.max_km):
        return False
    if flt.profiles and c.profile not in flt.profiles:
        return False
    if flt.min_stage is not None and c.stage < flt.min_stage:
        return False
    if flt.language and c.language != flt.language:
        return False
    return not (flt.met_before and (c.side, c.id) not in met)


def send_invitations(activity: Activity, keys: list[str], *, by: User, now: datetime | None = None) -> Counter:
    """Invite the chosen people (``h12``/``e34`` keys of :class:`Candidate`): SMS through the outbox,
    a call-to-invite alert for the coordinator where the channel is a call. Returns counts per channel;
    people already invited are skipped. Raises :class:`ActivityError` (``not_approved``, ``started``)."""
    now = now or utcnow()
    if activity.status != "approved":
        raise ActivityError("not_approved")
    if activity.starts_at <= now:
        raise ActivityError("started")
    helper_ids = {int(k[1:]) for k in keys if k[:1] == "h" and k[1:].isdigit()}
    elder_ids = {int(k[1:]) for k in keys if k[:1] == "e" and k[1:].isdigit()}
    done = set(
        db.session.execute(
            sa.select(ActivityInvitation.helper_id, ActivityInvitation.elder_id).where(
                ActivityInvitation.activity_id == activity.id
            )
        )
    )
    helpers = db.session.scalars(
        sa.select(HelperProfile)
        .options(selectinload(HelperProfile.user))
        .where(HelperProfile.id.in_(helper_ids or [-1]), HelperProfile.organization_id == activity.organization_id)
        .where(HelperProfile.status == "approved")
    )
    elders = db.session.scalars(
        sa.select(Elder)
        .options(selectinload(Elder.contacts))
        .where(Elder.id.in_(elder_ids or [-1]), Elder.organization_id == activity.organization_id)
        .where(Elder.status == "active", Elder.erased_at.is_(None))
    )
    sent: Counter = Counter()
    for person in [*helpers, *elders]:
        is_helper = isinstance(person, HelperProfile)
        if ((person.id, None) if is_helper else (None, person.id)) in done:
            continue
        invitation = ActivityInvitation(
            activity_id=activity.id,
            helper_id=person.id if is_helper else None,
            elder_id=None if is_helper else person.id,
            channel="board" if is_helper else "call",
            by_id=by.id,
        )
        queued = queue_for(
            activity,
            person,
            lambda language, older: texts.invitation_text(activity, language, to_older_side=older),
            kind="activity_invitation",
            dedupe_key=f"activity_invite:{activity.id}:{person_key(person)}",
            sent_by_id=by.id,
        )
        if queued is not None:
            db.session.flush()
            invitation.channel, invitation.phone = queued.channel, queued.phone
            invitation.message_id = queued.message.id if queued.message is not None else None
        elif not is_helper:  # a coordinator's call (or stopped messages): a task for the coordinator
            raise_alert(
                "activity_call_invite",
                dedupe_key=f"activity_call_invite:{activity.id}:{person.id}",
                organization_id=activity.organization_id,
                elder_id=person.id,
                activity_id=activity.id,
                now=now,
            )
        db.session.add(invitation)
        sent[invitation.channel] += 1
    db.session.flush()
    audit.record("activity.invited", activity, actor=by, **{f"by_{k}": v for k, v in sent.items()})
    return sent


def open_invitation(phone: str, now: datetime) -> ActivityInvitation | None:
    """The latest unanswered invitation sent to this number for an activity still ahead."""
    if not phone:
        return None
    return db.session.scalar(
        sa.select(ActivityInvitation)
        .join(Activity, Activity.id == ActivityInvitation.activity_id)
        .where(ActivityInvitation.phone == phone, ActivityInvitation.answer.is_(None))
        .where(Activity.starts_at > now, Activity.status == "approved")
        .order_by(ActivityInvitation.created_at.desc(), ActivityInvitation.id.desc())
        .limit(1)
    )
