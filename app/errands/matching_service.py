"""Finding and ranking the helpers for one errand.

The score itself is the pure :mod:`app.matching.score`; this module turns rows
into its inputs without loading every helper into Python:

0. The errand's person, request and task type as plain columns in one
   statement (when the caller has not loaded them).
1. **One candidate statement** picks the helpers with an index-backed
   prefilter and reads only the columns the score needs:

   * approved helpers (paused helpers, minors without consent or outside
     08-20, busy helpers and helpers a little too far are read and shown as
     *excluded* with their reason; not approved and suspended ones are not);
   * of the errand's organization **or** of a partner organization that
     serves the person's municipality (:mod:`app.policy`: an explicit
     partnership an admin manages, not every organization of the place);
   * within reach: at most their own ``max_distance_km`` plus 25 % and 1 km
     away, and at most :data:`MAX_TRAVEL_KM`. Those clearly beyond their own
     limit are never read;
   * nearest first and at most :data:`NEAREST_CAP` of them. Distance
     dominates the score in a dense town, so the best candidates are among
     the nearest hundred who can come. Each approved helper's point is
     indexed on a plane in kilometres where straight-line distance is the
     great-circle distance order (:func:`app.matching.geo.metric_km`,
     migration 0004). **PostgreSQL** walks the GiST index on
     (organization, point) nearest first (``ORDER BY pos <-> here``, one
     K-nearest scan per organization of the network, ending at
     MAX_TRAVEL_KM); **SQLite** reads its grid of 1 km cells (a B-tree keyed
     by organization and cell, migration 0013) ring by ring
     (:data:`RINGS_KM`, circles, nearest first, under one outer LIMIT), so a
     dense town stops after the first ring or two;
   * helpers without coordinates who live in the person's municipality
     (they get the "distance unknown" penalty);
   * and always the helpers who have helped this person before and the
     preferred helper, wherever they live (continuity), when the organization
     rule allows them.

   When the errand has no location at all, the municipality (or else the
   organization) replaces the nearest search. The statements are built once
   with bound parameters and run on one connection (:func:`app.db_setup.read_only_reads`: on
   PostgreSQL outside a transaction when the session has not begun; no ORM objects;
   given an errand id, not even the errand is loaded).
2. **Per-candidate facts in the same statement**: overlapping active
   assignments (busy), errands taken in the last 30 days and (for the minors
   on the errand's day) the newest guardian consent, from covering indexes
   (migration 0011) and only for the candidate rows (PostgreSQL counts busy
   and recent in one lateral probe; SQLite, without LATERAL, in a correlated
   subquery each); past errands with this person and the person's mean
   feedback on encounters with each helper computed once for the person (two
   small CTEs) and joined. Only when someone is busy does one more statement
   read their overlapping errands (shown as "busy 10:00-11:00").
3. :func:`app.matching.score.rank`, with candidates made by the same
   :func:`app.errands.eligibility.candidate_from_profile` as the helper's board,
   from the helpers' task types, availability and languages as bits (migration
   0011; :class:`_ErrandBits`), not JSON.

The number of SQL statements per ranking is therefore constant.
"""

from __future__ import annotations

import collections
import functools
import math
import operator
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from app.db_setup import read_only_reads
from app.errands.eligibility import (
    SPEC_COLUMNS,
    candidate_from_profile,
    join_spec_tables,
    spec_from_errand,
    spec_from_row,
)
from app.i18n import HELSINKI
from app.matching import score
from app.matching.geo import EARTH_RADIUS_KM, metric_km
from app.models import (
    ADULT_AGE,
    Assignment,
    Elder,
    EncounterParticipant,
    Errand,
    GuardianConsent,
    HelperProfile,
    TaskType,
    Village,
    age_on,
    utcnow,
)
from app.models.base import UTCDateTime
from app.policy import account_members_sql, errand_network_sql, helper_network_sql
from app.vocabulary import HELPER_LANGUAGES, slot_bit

MAX_TRAVEL_KM = 50.0
#: SQLite reads the nearest helpers ring by ring (circles with these radii, km).
RINGS_KM = (0.5, 1.0, 2.0, 5.0, 12.0, 27.0, MAX_TRAVEL_KM)
#: At most this many helpers who can reach the person are compared, nearest first.
NEAREST_CAP = 100
#: Helpers clearly beyond their own travel limit are not read at all; those a
#: little beyond it (up to 25 % + 1 km) are, and are shown as "too far".
REACH_FACTOR = 1.25
REACH_SLACK_KM = 1.0
KM_PER_DEGREE = math.pi / 180.0 * EARTH_RADIUS_KM
RECENT_DAYS = 30


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


def minors_born_after(day: date) -> date:
    """Everyone born after this date is a minor on ``day`` (:func:`app.models.minor_on`
    exactly, 29 February included): the candidate statement reads guardian consents
    only for them."""
    if (day.month, day.day) == (2, 29):
        day = day.replace(day=28)
    return day.replace(year=day.year - ADULT_AGE)


def errand_spec(errand: Errand) -> score.ErrandSpec:
    """The pure matching input for an errand (shared with the helper's board)."""
    return spec_from_errand(errand)


#: The candidate statement names its tables with short aliases and writes the
#: code's constants inline, so that its text stays under 4 KB: psycopg keeps
#: converted only statements under 4 KB (its prepared statements have no such
#: limit; converting a 5 KB one again costs ~30 µs a run: bench/README.md).
#: ``h`` is the candidate row.
H = aliased(HelperProfile, name="h")
_V = aliased(Village, name="v")

_COLUMNS = (
    H.id,
    H.first_name,
    H.last_name,
    H.birth_date,
    H.lat,
    H.lon,
    H.max_distance_km,
    H.transport,
    # The task types, availability and languages as bits (migration 0011), not JSON.
    H.task_mask,
    H.availability_mask,
    H.language_mask,
    H.youth_profile,
    H.status,
    H.paused_until,
    _V.name.label("village_name"),
)


def _param(name: str, type_=sa.Integer) -> sa.BindParameter:
    return sa.bindparam(name, type_=type_)


def _const(value: str | float) -> sa.ColumnElement:
    """A constant of the code written into the statement (no bound parameter)."""
    if isinstance(value, str):
        return sa.literal_column(f"'{value}'", sa.String)
    return sa.literal_column(repr(value), sa.Float if isinstance(value, float) else sa.Integer)


def _texts(*values: str) -> list[sa.ColumnElement]:
    return [_const(v) for v in values]


def _approved(p) -> sa.ColumnElement:
    # Tested through an expression (``status || ''``) on purpose: the same test,
    # but a planner without statistics (SQLite) can no longer pick the weak
    # status index and walk thousands of helpers.
    return p.status.concat(_const("")) == _const("approved")


def _network() -> sa.CTE:
    """The organizations whose helpers may be offered the errand: its own and the
    partners that serve the person's municipality (the rule is
    :func:`app.policy.errand_network_sql`)."""
    return errand_network_sql(_param("org_id"), _param("muni_id")).cte("net")


def _in_network(p, network: sa.CTE) -> sa.ColumnElement:
    """By profile organization: the indexed prefilter of the scans."""
    return p.organization_id.in_(sa.select(network.c.id))


# --------------------------------------------------------------------------
# The nearest helpers (migration 0004)
# --------------------------------------------------------------------------
#
# Each approved helper's point is indexed on a plane in kilometres
# (app.matching.geo.metric_km: straight-line distance there is the
# great-circle distance order), with their organization. The person's point
# ``(:x, :y)`` is projected the same way. A helper is read when within their own
# reach (travel limit plus 25 % and 1 km) and never beyond MAX_TRAVEL_KM.

#: PostgreSQL: ``pos`` is generated from lat/lon; the GiST index
#: ix_helper_profiles_near is on (organization_id, pos) of the approved helpers.
_POSITIONS = sa.table(
    "helper_profiles",
    sa.column("id"),
    sa.column("organization_id"),
    sa.column("status"),
    sa.column("pos"),
    sa.column("max_distance_km", sa.Float),
)
#: SQLite: the approved helpers' points in cells of GRID_KM (migration 0013), keyed
#: (organization, cx, cy, id) in a WITHOUT ROWID table: a ring reads one key range per
#: organization and column of cells.
_GRID = sa.table(
    "helper_grid",
    *(sa.column(name, sa.Float) for name in ("x", "y", "max_distance_km")),
    *(sa.column(name) for name in ("organization_id", "cx", "cy", "id")),
)
#: The side of SQLite's grid cells in km (migration 0013 fills the cells with the same).
GRID_KM = 1.0


def _reach_km(max_distance_km) -> sa.ColumnElement:
    # op("+"): plain arithmetic (a typed operator would add a CAST to the text).
    return (max_distance_km * _const(REACH_FACTOR)).op("+")(_const(REACH_SLACK_KM))


def _nearest_postgresql(network: sa.CTE) -> sa.Select:
    """The nearest NEAREST_CAP: for each organization of the network, a K-nearest
    index scan (``ORDER BY pos <-> here``) that stops after NEAREST_CAP helpers
    who can come or at MAX_TRAVEL_KM; then the nearest of those."""
    p = _POSITIONS.alias("p")
    here = sa.func.point(_param("x", sa.Float), _param("y", sa.Float))
    distance = p.c.pos.op("<->", return_type=sa.Float)(here)
    nearest = (
        sa.select(p.c.id, distance.label("d"))
        .where(
            p.c.organization_id == network.c.id,
            p.c.status == _const("approved"),  # written as the partial index's condition, to use it
            # Inside the circle: the index scan ends at its edge, however few can come.
            p.c.pos.op("<@")(sa.func.circle(here, _const(MAX_TRAVEL_KM))),
            distance <= _reach_km(p.c.max_distance_km),
        )
        .order_by(distance)
        .limit(_const(NEAREST_CAP))
        .lateral("k")
    )
    return (
        sa.select(nearest.c.id)
        .select_from(network)
        .join(nearest, sa.true())
        .order_by(nearest.c.d)
        .limit(_const(NEAREST_CAP))
    )


def _nearest_sqlite(network: sa.CTE) -> sa.Select:
    """The nearest NEAREST_CAP, ring by ring (circles of :data:`RINGS_KM`, nearest
    first, each sorted, under one outer LIMIT that stops once enough are found):
    each ring reads the network's helpers in the grid cells of its square (one
    key range per organization and column of cells), keeps those within the
    circle and beyond the previous one, and who can come."""
    x, y = _param("x", sa.Float), _param("y", sa.Float)
    # The columns of cells of the widest ring (a JSON list, :func:`_grid_columns`); each ring takes its own.
    columns = sa.func.json_each(_param("grid_columns", sa.String)).table_valued("value")
    rings = []
    inner_km = 0.0
    for i, ring_km in enumerate(RINGS_KM):
        n = _GRID.alias(f"n{i}")
        dx, dy = (n.c.x - x).self_group(), (n.c.y - y).self_group()
        its_columns = sa.select(columns.c.value).where(columns.c.value.between(*_cells(x, ring_km)))
        found = (
            sa.select(n.c.id, (dx * dx + dy * dy).label("d2"), _reach_km(n.c.max_distance_km).label("reach"))
            .where(
                # Every bound a range of the table's key (organization, cx, cy). Lists (IN), not a
                # join with the network: SQLite would scan the whole table for a Bloom filter of it.
                n.c.organization_id.in_(sa.select(network.c.id)),
                n.c.cx.in_(its_columns),
                n.c.cy.between(*_cells(y, ring_km)),
            )
            # No limit (-1), written to keep SQLite from flattening this subquery into the ring's
            # query, where each helper's d2 was computed again for each of its four uses.
            .limit(_const(-1))
            .subquery(f"s{i}")
        )
        ring = (
            sa.select(found.c.id)
            .where(
                found.c.d2 <= _const(ring_km * ring_km),
                # Beyond the previous ring; the first ring has no hole (a helper at the person's
                # very point, d2 = 0, e.g. the same address, is the nearest of all).
                found.c.d2 > _const(inner_km * inner_km) if inner_km else sa.true(),
                found.c.d2 <= found.c.reach * found.c.reach,
            )
            .order_by(found.c.d2)
            .limit(_const(NEAREST_CAP))
        )
        rings.append(sa.select(ring.subquery(f"r{i}").c.id))
        inner_km = ring_km
    nearest = sa.union_all(*rings).subquery("u")
    return sa.select(nearest.c.id).limit(_const(NEAREST_CAP))


def _cells(coordinate: sa.ColumnElement, ring_km: float) -> tuple[sa.ColumnElement, sa.ColumnElement]:
    """The first and last cell a ring's square covers along one axis."""
    # op(): plain arithmetic (SQLAlchemy's typed division would add "+ 0.0" to the text).
    return tuple(
        sa.func.floor(coordinate.op(sign)(_const(ring_km)).self_group().op("/")(_const(GRID_KM))) for sign in "-+"
    )


def _grid_columns(x: float) -> str:
    """The columns of cells (cx) the widest ring covers around ``x``, as a JSON list."""
    first, last = (math.floor((x + d) / GRID_KM) for d in (-RINGS_KM[-1], RINGS_KM[-1]))
    return "[" + ",".join(map(str, range(first, last + 1))) + "]"


@functools.cache
def _candidate_statement(with_coords: bool, with_municipality: bool, dialect: str = "sqlite") -> sa.Select:
    """The candidate statement (built once per shape and engine, then only its parameters change)."""
    network = _network()
    parts: list[sa.Select] = []
    if with_coords:
        nearest = _nearest_postgresql(network) if dialect == "postgresql" else _nearest_sqlite(network)
        parts.append(sa.select(nearest.subquery("c").c.id))
        if with_municipality:
            # No location: the municipality decides (coalesce: found through the
            # lat IS NULL end of the network's index, not the whole municipality).
            p = aliased(HelperProfile, name="q")
            no_coords = (
                sa.select(p.id)
                .where(
                    p.lat.is_(None),
                    sa.func.coalesce(p.municipality_id, _const(0)) == _param("muni_id"),
                    _approved(p),
                    _in_network(p, network),
                )
                .limit(_const(NEAREST_CAP))
            )
            parts.append(sa.select(no_coords.subquery("m").c.id))
    else:
        p = aliased(HelperProfile, name="q")
        place = p.municipality_id == _param("muni_id") if with_municipality else p.organization_id == _param("org_id")
        nearby = sa.select(p.id).where(place, _approved(p), _in_network(p, network)).limit(_const(NEAREST_CAP))
        parts.append(sa.select(nearby.subquery("m").c.id))
    past, feedback = _with_this_person()
    # Always the helpers who have helped this person before, and the preferred one.
    parts.append(sa.select(past.c.helper_id))
    parts.append(sa.select(_param("preferred_id")))
    # Helpers in the network through their account's organizations only (few; distance is scored).
    parts.append(account_members_sql(aliased(HelperProfile, name="am"), network))
    a = aliased(Assignment, name="x")
    already = sa.select(a.helper_id).where(a.errand_id == _param("errand_id"), a.status.in_(_texts("active", "done")))
    facts, counts = _fact_columns(dialect)
    stmt = (
        sa.select(*_COLUMNS, past.c.past_count, feedback.c.feedback_mean, *facts)
        .outerjoin(_V, _V.id == H.village_id)
        .outerjoin(past, past.c.helper_id == H.id)
        .outerjoin(feedback, feedback.c.helper_id == H.id)
        .where(H.id.in_(sa.union(*parts)), _approved(H), helper_network_sql(H, network), H.id.not_in(already))
    )
    return stmt.join(counts, sa.true()) if counts is not None else stmt


def _with_this_person() -> tuple[sa.CTE, sa.CTE]:
    """Continuity: the errands each helper has done for this person, and the
    person's mean feedback on encounters with each helper. Computed once for the
    person (a few rows) and joined, instead of once per candidate."""
    a, e = aliased(Assignment, name="a"), aliased(Errand, name="e")
    past = (
        sa.select(a.helper_id, sa.func.count(sa.distinct(a.errand_id)).label("past_count"))
        .join(e, e.id == a.errand_id)
        .where(e.elder_id == _param("elder_id"), a.status == _const("done"))
        .group_by(a.helper_id)
        .cte("past")
    )
    helper_side, elder_side = aliased(EncounterParticipant, name="eh"), aliased(EncounterParticipant, name="ee")
    feedback = (
        sa.select(helper_side.helper_id, sa.func.avg(elder_side.feedback_score).label("feedback_mean"))
        .join(elder_side, elder_side.encounter_id == helper_side.encounter_id)
        .where(
            elder_side.elder_id == _param("elder_id"),
            elder_side.feedback_score.is_not(None),
            helper_side.helper_id.is_not(None),
        )
        .group_by(helper_side.helper_id)
        # Made once (a few rows), not again for each candidate row of the join: PostgreSQL
        # re-sorted and re-grouped it 100 times (4.5 of 6.8 ms at 1,000,000 helpers).
        .cte("f")
        .prefix_with("MATERIALIZED")
    )
    return past, feedback


def _fact_columns(dialect: str) -> tuple[list[sa.ColumnElement], sa.Lateral | None]:
    """What the score needs to know of each candidate helper besides the profile,
    read on indexed columns (migration 0011's covering indexes) only for the (at
    most a hundred or so) candidate rows, in the same statement: the columns, and
    on PostgreSQL the lateral subquery to join that counts the helper's
    assignments (busy, recent) in one probe of the index."""
    a, e = aliased(Assignment, name="ba"), aliased(Errand, name="be")
    active = a.status == _const("active")
    busy = sa.and_(
        active,
        e.id != _param("errand_id"),
        e.starts_at < _param("ends_at", UTCDateTime()),
        e.ends_at > _param("starts_at", UTCDateTime()),
    )
    recent = sa.and_(a.status.in_(_texts("active", "done", "no_show")), a.assigned_at >= _param("since", UTCDateTime()))
    # A minor's newest consent request decides (as in app.helpers.consent.current_consent);
    # read only for the minors on the errand's day (minors_born_after).
    g = aliased(GuardianConsent, name="g")
    consent = (
        sa.select(g.status).where(g.helper_id == H.id).order_by(g.requested_at.desc(), g.id.desc()).limit(_const(1))
    )
    consent_status = sa.case((H.birth_date > _param("minor_born_after", sa.Date), consent.scalar_subquery()))
    if dialect == "postgresql":
        counts = (
            sa.select(
                sa.func.count().filter(busy).label("busy_count"),
                sa.func.count().filter(recent).label("recent_count"),
            )
            .select_from(a)
            # The errand's times, looked up only for active assignments (NULL key otherwise).
            .outerjoin(e, e.id == sa.case((active, a.errand_id)))
            .where(a.helper_id == H.id)
            .lateral("n")
        )
        return [counts.c.busy_count, counts.c.recent_count, consent_status.label("consent_status")], counts
    # SQLite has no LATERAL: a correlated subquery per count, each from the index.
    busy_count = sa.select(sa.func.count()).select_from(a).join(e, e.id == a.errand_id).where(a.helper_id == H.id, busy)
    ra = aliased(Assignment, name="ra")
    recent_count = sa.select(sa.func.count()).where(  # count(*): from the index alone
        ra.helper_id == H.id,
        # Tested through an expression, as in _approved: one seek of the index by helper, then
        # their few entries, instead of one seek for each of the three statuses.
        ra.status.concat(_const("")).in_(_texts("active", "done", "no_show")),
        ra.assigned_at >= _param("since", UTCDateTime()),
    )
    columns = [
        busy_count.scalar_subquery().label("busy_count"),
        recent_count.scalar_subquery().label("recent_count"),
        consent_status.label("consent_status"),
    ]
    return columns, None


@dataclass(frozen=True, slots=True)
class _ErrandKeys:
    """What the statements need of the errand itself (read with its person, by id)."""

    id: int
    organization_id: int
    elder_id: int
    starts_at: datetime
    ends_at: datetime
    task_bit: int | None  # its task type's bit in the helpers' task_mask


def _candidate_params(
    errand: _ErrandKeys, spec: score.ErrandSpec, municipality_id: int | None, now: datetime, here
) -> dict:
    """The errand's values for the candidate statement (``here``: the person's point on the plane)."""
    params = {
        "org_id": errand.organization_id,
        "muni_id": municipality_id,
        "elder_id": errand.elder_id,
        "errand_id": errand.id,
        "preferred_id": spec.preferred_helper_id,
        "starts_at": errand.starts_at,
        "ends_at": errand.ends_at,
        "since": now - timedelta(days=RECENT_DAYS),
        # Consents are read for the minors on the errand's day only.
        "minor_born_after": minors_born_after(local_date(errand.starts_at)),
    }
    if here is not None:
        params["x"], params["y"] = here
    return params


def _candidate_rows(
    connection: sa.Connection, errand: _ErrandKeys, spec: score.ErrandSpec, municipality_id: int | None, now: datetime
) -> list:
    here = metric_km(spec.lat, spec.lon) if spec.lat is not None and spec.lon is not None else None
    stmt = _candidate_statement(here is not None, municipality_id is not None, connection.dialect.name)
    # Core execution on the ranking's connection (read_only_reads): plain rows, no ORM layer in between.
    params = _candidate_params(errand, spec, municipality_id, now, here)
    if here is not None and connection.dialect.name == "sqlite":
        params["grid_columns"] = _grid_columns(here[0])
    result = connection.execute(stmt, params)
    # all(): the driver's fetchall, not one fetchone per row (0.15 ms a ranking, bench/README.md).
    return list(map(_row_type(tuple(result.keys()))._make, result.all()))


@functools.cache
def _row_type(columns: tuple[str, ...]) -> type:
    """The candidate rows as named tuples of the statement's columns: a field of one
    is read in ~30 ns, of SQLAlchemy's ``Row`` in ~0.4 µs, and a ranking reads
    about 20 fields of each of its ~100 rows (0.9 ms a ranking, bench/README.md)."""
    return collections.namedtuple("CandidateRow", columns)


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


def _busy_intervals(
    connection: sa.Connection, errand: _ErrandKeys, rows: list
) -> dict[int, list[tuple[datetime, datetime]]]:
    ids = [r.id for r in rows if r.busy_count]
    busy: dict[int, list[tuple[datetime, datetime]]] = {}
    if not ids:
        return busy
    window = {"ids": ids, "errand_id": errand.id, "starts_at": errand.starts_at, "ends_at": errand.ends_at}
    for helper_id, start, end in connection.execute(_BUSY, window):
        busy.setdefault(helper_id, []).append((start, end))
    return busy


@functools.lru_cache(maxsize=64)
def _languages(mask: int) -> frozenset[str]:
    """language_mask as the matcher's set of codes (empty: none given)."""
    return frozenset(code for i, code in enumerate(HELPER_LANGUAGES) if mask >> i & 1)


class _ErrandBits:
    """The errand's side of the helpers' bit columns (migration 0011). All the score
    asks of a helper's task types is whether the errand's is among them, and of their
    availability which of the errand's parts of day they marked: so a candidate gets
    just those, shared by every candidate with the same answer."""

    __slots__ = ("_marked", "offered", "slot_bits", "slots_mask", "task_mask")

    def __init__(self, spec: score.ErrandSpec, task_bit: int | None) -> None:
        self.task_mask = 1 << task_bit if task_bit is not None else 0  # no bit: nobody offers it
        self.offered = frozenset({spec.task_type})
        self.slot_bits = tuple((slot, slot_bit(*slot)) for slot in score.slots_for_window(spec.starts_at, spec.ends_at))
        self.slots_mask = functools.reduce(operator.or_, (bit for _, bit in self.slot_bits), 0)
        self._marked: dict[int, frozenset] = {}

    def task_types(self, task_mask: int) -> frozenset[str]:
        return self.offered if task_mask & self.task_mask else _NONE

    def availability(self, availability_mask: int) -> frozenset[tuple[int, str]]:
        key = availability_mask & self.slots_mask
        marked = self._marked.get(key)
        if marked is None:
            marked = self._marked[key] = frozenset(slot for slot, bit in self.slot_bits if key & bit)
        return marked


_NONE: frozenset = frozenset()


def _candidate(row, bits: _ErrandBits, busy: dict[int, list], errand_day: date) -> score.HelperCandidate:
    """A candidate from a selected row (the profile's columns under their own names): the
    same rules as the helper's board, with the task types, availability and languages from
    the row's bits."""
    fb = float(row.feedback_mean) if row.feedback_mean is not None else None
    return candidate_from_profile(
        row,  # type: ignore[arg-type] - a row with the profile's columns
        on=errand_day,
        busy_intervals=tuple(busy.get(row.id, ())),
        past_errands_with_elder=int(row.past_count or 0),
        past_feedback_with_elder=min(max(fb, 1.0), 5.0) if fb is not None else None,
        recent_assignments=int(row.recent_count or 0),
        has_consent=row.consent_status == "given",
        sets=(
            bits.task_types(row.task_mask),
            bits.availability(row.availability_mask),
            _languages(row.language_mask),
        ),
    )


#: What the matcher reads of an errand, its person and request, as plain columns.
_SPEC = join_spec_tables(
    sa.select(*SPEC_COLUMNS, Errand.organization_id, Elder.municipality_id, TaskType.bit.label("task_bit")).select_from(
        Errand
    )
).where(Errand.id == _param("errand_id"))


def _spec_of(connection: sa.Connection, errand: Errand | int) -> tuple[score.ErrandSpec, int | None, _ErrandKeys]:
    """The errand as the matcher sees it, the person's municipality and the errand's
    keys: from the loaded person, request and task type (the errand page loads
    them), else (an errand id, or an errand without them loaded) one statement of
    plain columns instead of loading whole objects."""
    if isinstance(errand, Errand) and not {"elder", "request", "task_type"} & sa.inspect(errand).unloaded:
        keys = _ErrandKeys(
            errand.id, errand.organization_id, errand.elder_id, errand.starts_at, errand.ends_at, errand.task_type.bit
        )
        return errand_spec(errand), errand.elder.municipality_id, keys
    errand_id = errand.id if isinstance(errand, Errand) else errand
    row = connection.execute(_SPEC, {"errand_id": errand_id}).one()
    keys = _ErrandKeys(row.id, row.organization_id, row.elder_id, row.starts_at, row.ends_at, row.task_bit)
    return spec_from_row(row), row.municipality_id, keys


def rank_candidates(errand: Errand | int, *, limit: int = 20, now: datetime | None = None) -> CandidateList:
    """The ranked helpers for ``errand`` (an errand, or its id: then no object is
    loaded) best first, at most ``limit``, and the excluded ones with their
    hard-rule reasons (nearest first)."""
    now = now or utcnow()
    # Only reads, each standing alone; the statements run on the connection, past the autoflush.
    with read_only_reads() as connection:
        spec, municipality_id, keys = _spec_of(connection, errand)
        rows = _candidate_rows(connection, keys, spec, municipality_id, now)
        errand_day = local_date(keys.starts_at)
        busy = _busy_intervals(connection, keys, rows)
    bits = _ErrandBits(spec, keys.task_bit)
    candidates = [_candidate(r, bits, busy, errand_day) for r in rows]
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
