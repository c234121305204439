"""Finding and ranking the helpers for one errand.

The score itself is the pure :mod:`app.matching.score`; this module turns rows
into its inputs without loading every helper into Python:

1. **One candidate statement** (plus a tiny one for the organizations that
   cover the person's municipality) picks the helpers with an index-backed
   prefilter and reads only the columns the score needs:

   * approved helpers (paused helpers, minors without consent or outside
     08-20, busy helpers and helpers a little too far are read and shown as
     *excluded* with their reason; not approved and suspended ones are not);
   * of the errand's organization **or** of any organization that covers the
     person's municipality: the multi-producer network (4H, the parish, the
     pensioners' association...) shares its helpers in a place;
   * inside the bounding box (:func:`app.matching.geo.bounding_box`) of
     :data:`MAX_TRAVEL_KM` around the person's home, on the indexed
     ``helper_profiles(lat, lon)``, and within reach: squared degree distance
     (longitude scaled by cos(latitude)) at most their own ``max_distance_km``
     plus 25 % and 1 km. Those clearly beyond their own limit are never read;
   * nearest first and at most :data:`NEAREST_CAP` of them: the box is read in
     rings (:data:`RINGS_KM`) under one outer LIMIT, so in a dense town the
     engine stops after the first ring or two instead of sorting thousands of
     helpers. Distance dominates the score there, so the best candidates are
     among the nearest hundred who can come;
   * helpers without coordinates who live in the person's municipality
     (they get the "distance unknown" penalty);
   * and always the helpers who have helped this person before and the
     preferred helper, wherever they live (continuity).

   When the errand has no location at all, the municipality (or else the
   organization) replaces the box. The statements are built once with bound
   parameters and run on the session's connection (no ORM objects).
2. **Bulk facts**, one query each whatever the number of candidates: busy
   intervals (active assignments overlapping the errand), past errands with
   this person, the person's mean feedback on encounters with each helper,
   errands taken in the last 30 days, and the guardian consents of minors.
3. :func:`app.matching.score.rank`, with candidates made by the same
   :func:`app.errands.eligibility.candidate_from_profile` as the helper's board.

The number of SQL statements per ranking is therefore constant.
"""

from __future__ import annotations

import functools
import json
import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.errands.eligibility import candidate_from_profile, spec_from_errand
from app.extensions import db
from app.i18n import HELSINKI
from app.matching import score
from app.matching.geo import EARTH_RADIUS_KM, bounding_box
from app.models import (
    Assignment,
    EncounterParticipant,
    Errand,
    GuardianConsent,
    HelperProfile,
    Village,
    utcnow,
)
from app.models.base import UTCDateTime
from app.models.org import organization_municipalities

MAX_TRAVEL_KM = 50.0
#: The box is read nearest ring first (squares with these half-widths, km).
RINGS_KM = (1.0, 3.0, 9.0, 27.0, MAX_TRAVEL_KM)
#: At most this many helpers who can reach the person are compared, nearest first.
NEAREST_CAP = 100
#: Helpers clearly beyond their own travel limit are not read at all; those a
#: little beyond it (up to 25 % + 1 km) are, and are shown as "too far".
REACH_FACTOR = 1.25
REACH_SLACK_KM = 1.0
KM_PER_DEGREE = math.pi / 180.0 * EARTH_RADIUS_KM
RECENT_DAYS = 30

HP = HelperProfile


@dataclass(frozen=True, slots=True)
class Person:
    """What the coordinator sees of a candidate besides the reasons."""

    helper_id: int
    name: str
    age: int
    village: str | None
    transport: str


@dataclass(frozen=True)
class CandidateList:
    spec: score.ErrandSpec
    ranked: list[score.Ranked]
    excluded: list[score.Excluded]  # nearest first
    people: dict[int, Person] = field(default_factory=dict)
    considered: int = 0
    capped: bool = False

    @property
    def ranked_ids(self) -> list[int]:
        return [r.helper_id for r in self.ranked]


# --------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------


def local_date(value: datetime) -> date:
    return value.astimezone(HELSINKI).date()


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def errand_spec(errand: Errand) -> score.ErrandSpec:
    """The pure matching input for an errand (shared with the helper's board)."""
    return spec_from_errand(errand)


_COLUMNS = (
    HP.id,
    HP.first_name,
    HP.last_name,
    HP.birth_date,
    HP.lat,
    HP.lon,
    HP.max_distance_km,
    HP.transport,
    # The JSON lists as their text: parsed once per distinct value (see _json_list).
    sa.cast(HP.task_types, sa.Text).label("task_types_json"),
    sa.cast(HP.availability, sa.Text).label("availability_json"),
    sa.cast(HP.languages, sa.Text).label("languages_json"),
    HP.youth_profile,
    HP.status,
    HP.paused_until,
    Village.name.label("village_name"),
)


def _param(name: str, type_=sa.Integer) -> sa.BindParameter:
    return sa.bindparam(name, type_=type_)


@functools.cache
def _candidate_statement(with_coords: bool, with_municipality: bool) -> sa.Select:
    """The candidate statement (built once per shape, then only its parameters change)."""
    # Status and organization are tested through expressions (``status || ''``,
    # ``coalesce(organization_id, 0)``) on purpose: the same tests, but a planner
    # without statistics (SQLite) can no longer pick the weak status or
    # organization index and walk thousands of helpers; the lat/lon range leads.
    approved = HP.status.concat("") == "approved"
    in_network = sa.func.coalesce(HP.organization_id, 0).in_(sa.bindparam("network", expanding=True))
    parts: list[sa.Select] = []
    if with_coords:
        dlat = HP.lat - _param("lat", sa.Float)
        dlon = (HP.lon - _param("lon", sa.Float)) * _param("k", sa.Float)
        squared = dlat * dlat + dlon * dlon
        reach = (HP.max_distance_km * REACH_FACTOR + REACH_SLACK_KM) / KM_PER_DEGREE
        rings = []
        inner = None
        for i in range(len(RINGS_KM)):
            box = sa.and_(
                HP.lat.between(_param(f"lat0_{i}", sa.Float), _param(f"lat1_{i}", sa.Float)),
                HP.lon.between(_param(f"lon0_{i}", sa.Float), _param(f"lon1_{i}", sa.Float)),
            )
            where = [box, approved, in_network, squared <= reach * reach]
            if inner is not None:
                where.append(sa.not_(inner))
            ring = sa.select(HP.id).where(*where).order_by(squared).limit(NEAREST_CAP).subquery()
            rings.append(sa.select(ring.c.id))
            inner = box
        # Nearest ring first; the outer LIMIT stops the engine before the wider
        # rings are read once enough helpers have been found.
        nearest = sa.union_all(*rings).subquery()
        parts.append(sa.select(sa.select(nearest.c.id).limit(NEAREST_CAP).subquery().c.id))
        if with_municipality:
            # No location: the municipality decides (coalesce: found through the
            # lat IS NULL end of ix_helper_profiles_lat_lon, not the whole municipality).
            no_coords = (
                sa.select(HP.id)
                .where(
                    HP.lat.is_(None),
                    sa.func.coalesce(HP.municipality_id, 0) == _param("muni_id"),
                    approved,
                    in_network,
                )
                .limit(NEAREST_CAP)
            )
            parts.append(sa.select(no_coords.subquery().c.id))
    else:
        place = HP.municipality_id == _param("muni_id") if with_municipality else HP.organization_id == _param("org_id")
        nearby = sa.select(HP.id).where(place, approved, in_network).limit(NEAREST_CAP)
        parts.append(sa.select(nearby.subquery().c.id))
    # Always the helpers who have helped this person before, and the preferred one.
    parts.append(
        sa.select(Assignment.helper_id)
        .join(Errand, Errand.id == Assignment.errand_id)
        .where(Errand.elder_id == _param("elder_id"), Assignment.status == "done")
    )
    parts.append(sa.select(_param("preferred_id")))
    already = sa.select(Assignment.helper_id).where(
        Assignment.errand_id == _param("errand_id"), Assignment.status.in_(("active", "done"))
    )
    return (
        sa.select(*_COLUMNS)
        .outerjoin(Village, Village.id == HP.village_id)
        .where(HP.id.in_(sa.union(*parts)), approved, HP.id.not_in(already))
    )


_NETWORK = sa.select(organization_municipalities.c.organization_id).where(
    organization_municipalities.c.municipality_id == _param("muni_id")
)


def _candidate_params(errand: Errand, spec: score.ErrandSpec) -> dict:
    """The errand's values for the candidate statement (one small query for the network)."""
    network = {errand.organization_id}
    if errand.elder.municipality_id is not None:
        network.update(db.session.connection().execute(_NETWORK, {"muni_id": errand.elder.municipality_id}).scalars())
    params = {
        "network": sorted(network),
        "org_id": errand.organization_id,
        "muni_id": errand.elder.municipality_id,
        "elder_id": errand.elder_id,
        "errand_id": errand.id,
        "preferred_id": spec.preferred_helper_id,
    }
    if spec.lat is not None and spec.lon is not None:
        params.update(lat=spec.lat, lon=spec.lon, k=math.cos(math.radians(spec.lat)))
        for i, radius in enumerate(RINGS_KM):
            lat0, lat1, lon0, lon1 = bounding_box(spec.lat, spec.lon, radius)
            params.update({f"lat0_{i}": lat0, f"lat1_{i}": lat1, f"lon0_{i}": lon0, f"lon1_{i}": lon1})
    return params


def _candidate_rows(errand: Errand, spec: score.ErrandSpec) -> list:
    stmt = _candidate_statement(spec.lat is not None and spec.lon is not None, errand.elder.municipality_id is not None)
    # Core execution on the session's connection: plain rows, no ORM layer in between.
    return db.session.connection().execute(stmt, _candidate_params(errand, spec)).all()


_ids = functools.partial(sa.bindparam, "ids", expanding=True)
_helper_side = aliased(EncounterParticipant)
_elder_side = aliased(EncounterParticipant)

#: The per-candidate facts, one statement each (built once).
_BUSY = (
    sa.select(Assignment.helper_id, Errand.starts_at, Errand.ends_at)
    .join(Errand, Errand.id == Assignment.errand_id)
    .where(
        Assignment.helper_id.in_(_ids()),
        Assignment.status == "active",
        Errand.id != _param("errand_id"),
        Errand.starts_at < _param("ends_at", UTCDateTime()),
        Errand.ends_at > _param("starts_at", UTCDateTime()),
    )
)
_PAST = (
    sa.select(Assignment.helper_id, sa.func.count(sa.distinct(Assignment.errand_id)))
    .join(Errand, Errand.id == Assignment.errand_id)
    .where(Errand.elder_id == _param("elder_id"), Assignment.status == "done")
    .group_by(Assignment.helper_id)
)
_FEEDBACK = (
    sa.select(_helper_side.helper_id, sa.func.avg(_elder_side.feedback_score))
    .join(_elder_side, _elder_side.encounter_id == _helper_side.encounter_id)
    .where(
        _elder_side.elder_id == _param("elder_id"),
        _elder_side.feedback_score.is_not(None),
        _helper_side.helper_id.is_not(None),
    )
    .group_by(_helper_side.helper_id)
)
_RECENT = (
    sa.select(Assignment.helper_id, sa.func.count(Assignment.id))
    .where(
        Assignment.helper_id.in_(_ids()),
        Assignment.status.in_(("active", "done", "no_show")),
        Assignment.assigned_at >= _param("since", UTCDateTime()),
    )
    .group_by(Assignment.helper_id)
)
_CONSENTS = sa.select(
    GuardianConsent.helper_id, GuardianConsent.requested_at, GuardianConsent.id, GuardianConsent.status
).where(GuardianConsent.helper_id.in_(_ids()))


def _facts(errand: Errand, ids: list[int], minor_ids: list[int], now: datetime) -> dict[str, dict]:
    """Per-candidate facts, one query each."""
    execute = db.session.connection().execute
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    window = {"ids": ids, "errand_id": errand.id, "starts_at": errand.starts_at, "ends_at": errand.ends_at}
    for helper_id, start, end in execute(_BUSY, window):
        busy.setdefault(helper_id, []).append((start, end))
    past = dict(execute(_PAST, {"elder_id": errand.elder_id}).all())
    feedback = {
        helper_id: float(mean)
        for helper_id, mean in execute(_FEEDBACK, {"elder_id": errand.elder_id})
        if mean is not None
    }
    recent = dict(execute(_RECENT, {"ids": ids, "since": now - timedelta(days=RECENT_DAYS)}).all())
    # A minor's newest consent request decides (as in app.helpers.consent.current_consent).
    newest: dict[int, tuple[datetime, int, str]] = {}
    for helper_id, requested_at, consent_id, status in execute(_CONSENTS, {"ids": minor_ids}):
        key = (requested_at, consent_id, status)
        if helper_id not in newest or key[:2] > newest[helper_id][:2]:
            newest[helper_id] = key
    consented = {helper_id for helper_id, (_, _, status) in newest.items() if status == "given"}
    return {"busy": busy, "past": past, "feedback": feedback, "recent": recent, "consented": consented}


@functools.lru_cache(maxsize=8192)
def _json_list(raw: str | None) -> tuple:
    """A JSON list column's text as a tuple (inner lists as tuples); many helpers share a value."""
    if not raw:
        return ()
    try:
        value = json.loads(raw)
    except ValueError:
        return ()
    if not isinstance(value, list):
        return ()
    return tuple(tuple(item) if isinstance(item, list) else item for item in value)


class _Profile:
    """The selected columns under the attribute names candidate_from_profile reads."""

    __slots__ = (
        "availability",
        "birth_date",
        "id",
        "languages",
        "lat",
        "lon",
        "max_distance_km",
        "paused_until",
        "status",
        "task_types",
        "transport",
        "youth_profile",
    )

    def __init__(self, row) -> None:
        self.id = row.id
        self.lat = row.lat
        self.lon = row.lon
        self.max_distance_km = row.max_distance_km
        self.status = row.status
        self.paused_until = row.paused_until
        self.birth_date = row.birth_date
        self.task_types = _json_list(row.task_types_json)
        self.availability = _json_list(row.availability_json)
        self.languages = _json_list(row.languages_json)
        self.youth_profile = row.youth_profile
        self.transport = row.transport


def _candidate(row, facts: dict[str, dict], errand_day: date) -> score.HelperCandidate:
    """A candidate from a selected row: the same rules as the helper's board."""
    hid = row.id
    fb = facts["feedback"].get(hid)
    return candidate_from_profile(
        _Profile(row),  # type: ignore[arg-type]
        on=errand_day,
        busy_intervals=tuple(facts["busy"].get(hid, ())),
        past_errands_with_elder=int(facts["past"].get(hid, 0)),
        past_feedback_with_elder=min(max(fb, 1.0), 5.0) if fb is not None else None,
        recent_assignments=int(facts["recent"].get(hid, 0)),
        has_consent=hid in facts["consented"],
    )


def rank_candidates(errand: Errand, *, limit: int = 20, now: datetime | None = None) -> CandidateList:
    """The ranked helpers for ``errand`` (best first, at most ``limit``) and the
    excluded ones with their hard-rule reasons (nearest first)."""
    now = now or utcnow()
    db.session.flush()  # the statements below run on the connection, past the autoflush
    spec = errand_spec(errand)
    rows = _candidate_rows(errand, spec)
    errand_day = local_date(errand.starts_at)
    ids = [r.id for r in rows]
    minor_ids = [r.id for r in rows if age_on(r.birth_date, errand_day) < 18]
    facts = _facts(errand, ids, minor_ids, now)
    candidates = [_candidate(r, facts, errand_day) for r in rows]
    ranked, excluded = score.rank(spec, candidates, limit=limit)
    excluded.sort(key=lambda x: (x.distance_km is None, x.distance_km or 0.0, x.helper_id))
    people = {
        r.id: Person(
            helper_id=r.id,
            name=f"{r.first_name} {r.last_name[:1]}.",
            age=age_on(r.birth_date, errand_day),
            village=r.village_name,
            transport=r.transport,
        )
        for r in rows
    }
    near_count = sum(1 for r in rows if r.lat is not None)
    return CandidateList(
        spec=spec,
        ranked=ranked,
        excluded=excluded,
        people=people,
        considered=len(rows),
        capped=spec.lat is not None and near_count >= NEAREST_CAP,
    )
