"""Finding and ranking the helpers for one errand.

The score itself is the pure :mod:`app.matching.score`; this module turns rows
into its inputs without loading every helper into Python:

0. The errand's person, request and task type in one statement (when they are
   not loaded yet).
1. **One candidate statement** picks the helpers with an index-backed
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
2. **Per-candidate facts in the same statement**, as correlated subqueries on
   indexed columns evaluated only for the candidate rows: overlapping active
   assignments (busy), past errands with this person, the person's mean
   feedback on encounters with each helper, errands taken in the last 30 days,
   and the newest guardian consent. Only when someone is busy does one more
   statement read their overlapping errands (shown as "busy 10:00-11:00").
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
from sqlalchemy.orm import aliased, joinedload

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
RINGS_KM = (2.0, 5.0, 12.0, 27.0, MAX_TRAVEL_KM)
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
    people: dict[int, Person] = field(default_factory=dict)  # the ranked and the excluded ones
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
    network = sa.union(
        sa.select(organization_municipalities.c.organization_id).where(
            organization_municipalities.c.municipality_id == _param("muni_id")
        ),
        sa.select(_param("org_id")),
    )
    in_network = sa.func.coalesce(HP.organization_id, 0).in_(network)
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
        sa.select(*_COLUMNS, *_fact_columns())
        .outerjoin(Village, Village.id == HP.village_id)
        .where(HP.id.in_(sa.union(*parts)), approved, HP.id.not_in(already))
    )


def _fact_columns() -> list[sa.Label]:
    """What the score needs to know of each candidate besides the profile, as
    correlated subqueries on indexed columns: evaluated only for the (at most
    a hundred or so) candidate rows, in the same statement."""
    a, e = aliased(Assignment), aliased(Errand)
    busy = (
        sa.select(sa.func.count())
        .select_from(a)
        .join(e, e.id == a.errand_id)
        .where(
            a.helper_id == HP.id,
            a.status == "active",
            e.id != _param("errand_id"),
            e.starts_at < _param("ends_at", UTCDateTime()),
            e.ends_at > _param("starts_at", UTCDateTime()),
        )
    )
    past_a, past_e = aliased(Assignment), aliased(Errand)
    past = (
        sa.select(sa.func.count(sa.distinct(past_a.errand_id)))
        .join(past_e, past_e.id == past_a.errand_id)
        .where(past_a.helper_id == HP.id, past_e.elder_id == _param("elder_id"), past_a.status == "done")
    )
    helper_side, elder_side = aliased(EncounterParticipant), aliased(EncounterParticipant)
    feedback = (
        sa.select(sa.func.avg(elder_side.feedback_score))
        .select_from(helper_side)
        .join(elder_side, elder_side.encounter_id == helper_side.encounter_id)
        .where(
            helper_side.helper_id == HP.id,
            elder_side.elder_id == _param("elder_id"),
            elder_side.feedback_score.is_not(None),
        )
    )
    recent_a = aliased(Assignment)
    recent = sa.select(sa.func.count(recent_a.id)).where(
        recent_a.helper_id == HP.id,
        recent_a.status.in_(("active", "done", "no_show")),
        recent_a.assigned_at >= _param("since", UTCDateTime()),
    )
    # A minor's newest consent request decides (as in app.helpers.consent.current_consent).
    consent = (
        sa.select(GuardianConsent.status)
        .where(GuardianConsent.helper_id == HP.id)
        .order_by(GuardianConsent.requested_at.desc(), GuardianConsent.id.desc())
        .limit(1)
    )
    return [
        busy.scalar_subquery().label("busy_count"),
        past.scalar_subquery().label("past_count"),
        feedback.scalar_subquery().label("feedback_mean"),
        recent.scalar_subquery().label("recent_count"),
        consent.scalar_subquery().label("consent_status"),
    ]


def _candidate_params(errand: Errand, spec: score.ErrandSpec, now: datetime) -> dict:
    """The errand's values for the candidate statement."""
    params = {
        "org_id": errand.organization_id,
        "muni_id": errand.elder.municipality_id,
        "elder_id": errand.elder_id,
        "errand_id": errand.id,
        "preferred_id": spec.preferred_helper_id,
        "starts_at": errand.starts_at,
        "ends_at": errand.ends_at,
        "since": now - timedelta(days=RECENT_DAYS),
    }
    if spec.lat is not None and spec.lon is not None:
        params.update(lat=spec.lat, lon=spec.lon, k=math.cos(math.radians(spec.lat)))
        for i, radius in enumerate(RINGS_KM):
            lat0, lat1, lon0, lon1 = bounding_box(spec.lat, spec.lon, radius)
            params.update({f"lat0_{i}": lat0, f"lat1_{i}": lat1, f"lon0_{i}": lon0, f"lon1_{i}": lon1})
    return params


def _candidate_rows(errand: Errand, spec: score.ErrandSpec, now: datetime) -> list:
    stmt = _candidate_statement(spec.lat is not None and spec.lon is not None, errand.elder.municipality_id is not None)
    # Core execution on the session's connection: plain rows, no ORM layer in between.
    return db.session.connection().execute(stmt, _candidate_params(errand, spec, now)).all()


#: The busy candidates' overlapping errands, to show when they are busy (only run when someone is).
_BUSY = (
    sa.select(Assignment.helper_id, Errand.starts_at, Errand.ends_at)
    .join(Errand, Errand.id == Assignment.errand_id)
    .where(
        Assignment.helper_id.in_(sa.bindparam("ids", expanding=True)),
        Assignment.status == "active",
        Errand.id != _param("errand_id"),
        Errand.starts_at < _param("ends_at", UTCDateTime()),
        Errand.ends_at > _param("starts_at", UTCDateTime()),
    )
    .order_by(Errand.starts_at)
)


def _busy_intervals(errand: Errand, rows: list) -> dict[int, list[tuple[datetime, datetime]]]:
    ids = [r.id for r in rows if r.busy_count]
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    if not ids:
        return busy
    window = {"ids": ids, "errand_id": errand.id, "starts_at": errand.starts_at, "ends_at": errand.ends_at}
    for helper_id, start, end in db.session.connection().execute(_BUSY, window):
        busy.setdefault(helper_id, []).append((start, end))
    return busy


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


def _candidate(row, busy: dict[int, list], errand_day: date) -> score.HelperCandidate:
    """A candidate from a selected row: the same rules as the helper's board."""
    fb = float(row.feedback_mean) if row.feedback_mean is not None else None
    return candidate_from_profile(
        _Profile(row),  # type: ignore[arg-type]
        on=errand_day,
        busy_intervals=tuple(busy.get(row.id, ())),
        past_errands_with_elder=int(row.past_count or 0),
        past_feedback_with_elder=min(max(fb, 1.0), 5.0) if fb is not None else None,
        recent_assignments=int(row.recent_count or 0),
        has_consent=row.consent_status == "given",
    )


def _load_related(errand: Errand) -> None:
    """The person, the request and the task type the score reads, in one statement
    (instead of three lazy loads); nothing when they are loaded already."""
    if not {"elder", "request", "task_type"} & sa.inspect(errand).unloaded:
        return
    db.session.execute(
        sa.select(Errand)
        .where(Errand.id == errand.id)
        .options(joinedload(Errand.elder), joinedload(Errand.request), joinedload(Errand.task_type))
    ).unique().all()


def rank_candidates(errand: Errand, *, limit: int = 20, now: datetime | None = None) -> CandidateList:
    """The ranked helpers for ``errand`` (best first, at most ``limit``) and the
    excluded ones with their hard-rule reasons (nearest first)."""
    now = now or utcnow()
    db.session.flush()  # the statements below run on the connection, past the autoflush
    _load_related(errand)
    spec = errand_spec(errand)
    rows = _candidate_rows(errand, spec, now)
    errand_day = local_date(errand.starts_at)
    busy = _busy_intervals(errand, rows)
    candidates = [_candidate(r, busy, errand_day) for r in rows]
    ranked, excluded = score.rank(spec, candidates, limit=limit)
    excluded.sort(key=lambda x: (x.distance_km is None, x.distance_km or 0.0, x.helper_id))
    shown = {r.helper_id for r in ranked} | {x.helper_id for x in excluded}
    people = {
        r.id: Person(
            helper_id=r.id,
            name=f"{r.first_name} {r.last_name[:1]}.",
            age=age_on(r.birth_date, errand_day),
            village=r.village_name,
            transport=r.transport,
        )
        for r in rows
        if r.id in shown
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
