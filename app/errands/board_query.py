"""The helper's board as one statement that stops at the page.

:func:`app.errands.helper_views.board` reads every errand the organization rule
lets a helper see and applies the hard rules in Python. This statement applies
in SQL what it can of the same rules, for one helper, and returns only the
first ``limit`` errands in the board's order, each row with the number of
errands that passed (``total``):

* the organization rule (:func:`app.policy.board_condition`), open or offered,
  starting in the future, near (the helper's box) unless offered to them;
* not declined by them, not held by them (an active or done assignment);
* not clashing with one of their active assignments (``busy``);
* within their own distance limit unless offered to them (``too_far``), the
  same great-circle formula as :mod:`app.matching.score`;
* the rules that depend on the errand's local date or hours: their pause, their
  18th birthday, and for a minor the guardian's consent and 08-20 local time
  (``minor_hours``), with Helsinki's UTC offsets passed as parameters.

The caller still checks each returned row with the pure hard rules
(:func:`app.matching.score.hard_rules`): SQL narrows, Python has the last word.
"""

from __future__ import annotations

import functools
import math
from datetime import UTC, date, datetime, time, timedelta

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import aliased

from app.auth.sessions import open_session_condition
from app.errands.eligibility import SPEC_COLUMNS, join_spec_tables
from app.i18n import HELSINKI
from app.matching.geo import EARTH_RADIUS_KM
from app.matching.score import MINOR_HOURS
from app.models import (
    Assignment,
    Elder,
    Errand,
    GuardianConsent,
    HelperProfile,
    Municipality,
    Offer,
    TaskType,
    User,
    UserSession,
    Village,
    minor_on,
)
from app.models.base import UTCDateTime
from app.models.user import user_organizations
from app.policy import board_condition, board_organizations

#: How many of Helsinki's UTC offset changes the statement knows (four years ahead);
#: after the last one it keeps the last offset.
OFFSET_CHANGES = 8

_DEG = math.pi / 180.0
_DAY_S = 86_400


class epoch_seconds(sa.sql.functions.GenericFunction):  # noqa: N801 - an SQL function's name
    """Seconds since 1970 (UTC) of a stored UTC time, in SQL."""

    type = sa.Float()
    inherit_cache = True


@compiles(epoch_seconds)
def _epoch_default(element, compiler, **kw):
    return f"EXTRACT(EPOCH FROM {compiler.process(element.clauses, **kw)})"


@compiles(epoch_seconds, "sqlite")
def _epoch_sqlite(element, compiler, **kw):
    # Stored as naive UTC text; whole seconds (errands start on the minute).
    return f"unixepoch({compiler.process(element.clauses, **kw)})"


@functools.lru_cache(maxsize=4)
def helsinki_offsets(today: date) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """From ``today`` on: the instants (epoch seconds) Helsinki's UTC offset
    changes at, and the offsets (seconds) before, between and after them."""
    start = datetime.combine(today, time(), UTC)
    offset = int(start.astimezone(HELSINKI).utcoffset().total_seconds())
    changes: list[int] = []
    offsets = [offset]
    hour = start
    while len(changes) < OFFSET_CHANGES:
        nxt = hour + timedelta(hours=1)
        off = int(nxt.astimezone(HELSINKI).utcoffset().total_seconds())
        if off != offset:
            changes.append(int(nxt.timestamp()))
            offsets.append(off)
            offset = off
        hour = nxt
    return tuple(changes), tuple(offsets)


#: What a board card shows of an errand, besides what the hard rules read (SPEC_COLUMNS).
BOARD_COLUMNS = (
    *SPEC_COLUMNS,
    Errand.helpers_needed,
    TaskType.name_fi.label("task_fi"),
    TaskType.name_sv.label("task_sv"),
    TaskType.name_en.label("task_en"),
    Village.name.label("village_name"),
    Municipality.name.label("muni_name"),
    Municipality.name_sv.label("muni_name_sv"),
)


def _local_seconds(t: sa.ColumnElement) -> sa.ColumnElement:
    """Helsinki wall-clock seconds since 1970 of a UTC time column."""
    s = epoch_seconds(t)
    whens = [
        (s < sa.bindparam(f"change_{i}", type_=sa.Integer), sa.bindparam(f"offset_{i}", type_=sa.Integer))
        for i in range(OFFSET_CHANGES)
    ]
    return s + sa.case(*whens, else_=sa.bindparam(f"offset_{OFFSET_CHANGES}", type_=sa.Integer))


def _minor_hours_ok() -> sa.ColumnElement[bool]:
    """As :func:`app.matching.score.minor_hours_ok`: the errand within 08-20 local on one date."""
    start, end = _local_seconds(Errand.starts_at), _local_seconds(Errand.ends_at)
    start_day, end_day = sa.func.floor(start / _DAY_S), sa.func.floor(end / _DAY_S)
    h0, h1 = MINOR_HOURS
    return sa.and_(
        start_day == end_day,
        start - start_day * _DAY_S >= h0 * 3600,
        end - end_day * _DAY_S <= h1 * 3600,
    )


def _helsinki_midnight(day: date) -> datetime:
    return datetime.combine(day, time(), HELSINKI).astimezone(UTC)


def _adult_from(birth_date: date) -> date:
    """The first local date on which someone born on ``birth_date`` is no longer a minor."""
    day = date(birth_date.year + 18, birth_date.month, min(birth_date.day, 28))
    while minor_on(birth_date, day):
        day += timedelta(days=1)
    return day


@functools.cache
def board_page_statement(with_distance: bool) -> sa.Select:
    """The board's first ``limit`` errands for one helper, with ``total`` (built once per shape)."""
    p = sa.bindparam
    helper_id = p("helper_id", type_=sa.Integer)
    pending = aliased(Offer, name="pending")
    own_offer, own_assignment = aliased(Offer, name="own_offer"), aliased(Assignment, name="own_assignment")
    busy_errand = aliased(Errand, name="busy_errand")
    place = {}
    for axis in ("lat", "lon"):
        place[axis] = sa.case(
            (sa.and_(Elder.lat.is_not(None), Elder.lon.is_not(None)), getattr(Elder, axis)),
            (sa.and_(Village.lat.is_not(None), Village.lon.is_not(None)), getattr(Village, axis)),
            (sa.and_(Municipality.lat.is_not(None), Municipality.lon.is_not(None)), getattr(Municipality, axis)),
        )
    near = sa.true()
    if with_distance:
        near = sa.or_(
            Elder.lat.is_(None),
            sa.and_(
                Elder.lat.between(p("min_lat", type_=sa.Float), p("max_lat", type_=sa.Float)),
                Elder.lon.between(p("min_lon", type_=sa.Float), p("max_lon", type_=sa.Float)),
            ),
        )
    starts_at = Errand.starts_at
    inner = (
        join_spec_tables(
            sa.select(
                *BOARD_COLUMNS,
                place["lat"].label("place_lat"),
                place["lon"].label("place_lon"),
                (pending.id.is_not(None)).label("offered"),
                pending.expires_at.label("offer_expires_at"),
            ).select_from(Errand)
        )
        .outerjoin(
            pending,
            sa.and_(pending.errand_id == Errand.id, pending.helper_id == helper_id, pending.status == "pending"),
        )
        .where(
            Errand.state.in_(("open", "offered")),
            starts_at > p("now", type_=UTCDateTime()),
            board_condition(p("org_id", type_=sa.Integer), p("user_id", type_=sa.Integer)),
            sa.or_(near, pending.id.is_not(None)),
            # Declined by them, or held by them: not on their board.
            ~sa.exists().where(
                own_offer.errand_id == Errand.id, own_offer.helper_id == helper_id, own_offer.status == "declined"
            ),
            ~sa.exists().where(
                own_assignment.errand_id == Errand.id,
                own_assignment.helper_id == helper_id,
                own_assignment.status.in_(("active", "done")),
            ),
            # busy: one of their active assignments overlaps (half-open).
            ~sa.select(sa.literal_column("1"))
            .select_from(own_assignment)
            .join(busy_errand, busy_errand.id == own_assignment.errand_id)
            .where(
                own_assignment.helper_id == helper_id,
                own_assignment.status == "active",
                busy_errand.starts_at < Errand.ends_at,
                busy_errand.ends_at > starts_at,
            )
            .exists(),
            # paused: through a local date; a minor until their 18th birthday.
            starts_at >= p("pause_over", type_=UTCDateTime()),
            sa.or_(
                starts_at >= p("adult_from", type_=UTCDateTime()),
                sa.and_(p("consent", type_=sa.Boolean) == sa.true(), _minor_hours_ok()),
            ),
        )
        .subquery("board")
    )
    distance = sa.null().cast(sa.Float)
    if with_distance:
        # The great-circle distance exactly as app.matching.score._distance works it out.
        lat_r = inner.c.place_lat * _DEG
        sdlat = sa.func.sin((p("helper_lat_r", type_=sa.Float) - lat_r) * 0.5)
        sdlon = sa.func.sin((p("helper_lon_r", type_=sa.Float) - inner.c.place_lon * _DEG) * 0.5)
        a = sdlat * sdlat + sa.func.cos(lat_r) * p("helper_cos_lat", type_=sa.Float) * sdlon * sdlon
        distance = sa.case(
            (inner.c.place_lat.is_(None), sa.null()),
            else_=2.0 * EARTH_RADIUS_KM * sa.func.asin(sa.case((a < 1.0, sa.func.sqrt(a)), else_=1.0)),
        )
    measured = sa.select(inner, distance.label("distance_km")).subquery("measured")
    c = measured.c
    return (
        sa.select(measured, sa.func.count().over().label("total"))
        .where(sa.or_(c.offered, c.distance_km.is_(None), c.distance_km <= p("max_km", type_=sa.Float)))
        # The board's order: offered to them first, then known distances, nearest first.
        .order_by(
            sa.case((c.offered, 0), else_=1),
            sa.case((c.distance_km.is_(None), 1), else_=0),
            c.distance_km,
            c.starts_at,
            c.id,
        )
        .limit(p("limit", type_=sa.Integer))
    )


def board_page_params(profile, now: datetime, consent: bool, limit: int) -> dict:
    """The statement's parameters for this helper (``consent``: a valid guardian consent)."""
    today = now.astimezone(HELSINKI).date()
    changes, offsets = helsinki_offsets(today)
    params: dict = {
        "now": now,
        "org_id": profile.organization_id,
        "user_id": profile.user_id,
        "helper_id": profile.id,
        "limit": limit,
        "consent": consent,
        "adult_from": _helsinki_midnight(_adult_from(profile.birth_date)),
        "pause_over": _helsinki_midnight(profile.paused_until + timedelta(days=1)) if profile.paused_until else now,
        # The same slack as the hard rule's, so a point exactly on the limit is never left out.
        "max_km": max(float(profile.max_distance_km or 0.0), 0.0) + 1e-9,
    }
    params.update({f"change_{i}": t for i, t in enumerate(changes)})
    params.update({f"offset_{i}": o for i, o in enumerate(offsets)})
    return params


#: The statuses of offers, assignments and guardian consents, numbered for the board's version.
_STATUSES = (
    "pending",
    "declined",
    "accepted",
    "taken",
    "expired",
    "cancelled",
    "active",
    "done",
    "withdrawn",
    "no_show",
    "given",
    "requested",
)


def _status_fingerprint(column: sa.ColumnElement, id_column: sa.ColumnElement) -> sa.ColumnElement:
    """A sum that changes when a row comes, goes or changes status."""
    # The statuses and their numbers are the code's own constants, written into the SQL:
    # a parameter each cost more to send and bind than the sum does to add up.
    rank = sa.case(
        *(
            (column == sa.literal_column(f"'{status}'"), sa.literal_column(str(i + 1)))
            for i, status in enumerate(_STATUSES)
        ),
        else_=sa.literal_column("0"),
    )
    return sa.func.coalesce(sa.func.sum(id_column * (rank + sa.literal_column("1"))), sa.literal_column("0"))


def _own_subqueries(helper_id: sa.BindParameter) -> tuple[sa.Subquery, ...]:
    """The helper's own part of the board's version: their offers, assignments and
    guardian consents (which, in which status)."""
    offers = (
        sa.select(
            sa.func.count().label("offers"),
            _status_fingerprint(Offer.status, Offer.id).label("offer_statuses"),
            sa.func.max(Offer.expires_at).label("offers_expire"),
        )
        .where(Offer.helper_id == helper_id)
        .subquery("offers")
    )
    assignments = (
        sa.select(
            sa.func.count().label("assignments"),
            _status_fingerprint(Assignment.status, Assignment.id).label("assignment_statuses"),
        )
        .where(Assignment.helper_id == helper_id)
        .subquery("assignments")
    )
    consents = (
        sa.select(_status_fingerprint(GuardianConsent.status, GuardianConsent.id).label("consents"))
        .where(GuardianConsent.helper_id == helper_id)
        .subquery("consents")
    )
    return offers, assignments, consents


@functools.cache
def board_version_statement() -> sa.Select:
    """One row that changes whenever the helper's board could: the network's upcoming
    open errands (how many, which, their latest change, their people's places) and the
    helper's own offers, assignments and guardian consents (which, in which status)."""
    p = sa.bindparam
    network = (
        sa.select(
            sa.func.count().label("errands"),
            sa.func.coalesce(sa.func.sum(Errand.id), 0).label("errand_ids"),
            sa.func.max(Errand.updated_at).label("errands_changed"),
            sa.func.sum(sa.func.coalesce(Elder.lat, 0.0) + 3.0 * sa.func.coalesce(Elder.lon, 0.0)).label("places"),
        )
        .select_from(Errand)
        .join(Elder, Elder.id == Errand.elder_id)
        .where(
            Errand.state.in_(("open", "offered")),
            Errand.starts_at > p("now", type_=UTCDateTime()),
            board_condition(p("org_id", type_=sa.Integer), p("user_id", type_=sa.Integer)),
        )
        .subquery("network")
    )
    offers, assignments, consents = _own_subqueries(p("helper_id", type_=sa.Integer))
    return (
        sa.select(network, offers, assignments, consents)
        .select_from(network)
        .join(offers, sa.true())
        .join(assignments, sa.true())
        .join(consents, sa.true())
    )


def _user_orgs_subquery(user_id: sa.ColumnElement) -> sa.Subquery:
    """The organizations the account ``user_id`` belongs to (``user_orgs``, comma-separated)."""
    uo = user_organizations
    return (
        sa.select(
            # The separator written into the SQL (as a value it is written in on every execution).
            sa.func.coalesce(
                sa.func.aggregate_strings(sa.cast(uo.c.organization_id, sa.String), sa.literal_column("','")), ""
            ).label("user_orgs")
        )
        .where(uo.c.user_id == user_id)
        .subquery("user_orgs")
    )


@functools.cache
def own_version_statement() -> sa.Select:
    """The helper's own part of :func:`board_version_statement` (indexed by helper and
    account, no network scan), with the organizations their account belongs to
    (``user_orgs``, comma-separated) that, with their profile's, name their network."""
    p = sa.bindparam
    offers, assignments, consents = _own_subqueries(p("helper_id", type_=sa.Integer))
    user_orgs = _user_orgs_subquery(p("user_id", type_=sa.Integer))
    return (
        sa.select(offers, assignments, consents, user_orgs)
        .select_from(offers)
        .join(assignments, sa.true())
        .join(consents, sa.true())
        .join(user_orgs, sa.true())
    )


#: The columns of :func:`own_version_statement`, in its order.
OWN_VERSION_COLUMNS = tuple(own_version_statement().selected_columns.keys())

#: What the board's version reads of the helper's profile (helper_views._own_version).
PROFILE_VERSION_COLUMNS = (
    HelperProfile.id,
    HelperProfile.user_id,
    HelperProfile.organization_id,
    HelperProfile.status,
    HelperProfile.lat,
    HelperProfile.lon,
    HelperProfile.max_distance_km,
    HelperProfile.paused_until,
    HelperProfile.birth_date,
)


@functools.cache
def revalidation_statement() -> sa.Select:
    """For the board's ``304 Not Modified`` without loading the user: the login's check
    (:func:`app.auth.sessions.open_session_condition`, its parameters) with the
    account's role, language and state, the helper profile's columns the board's
    version reads (:data:`PROFILE_VERSION_COLUMNS`, None without a profile) and
    :func:`own_version_statement`'s columns, in one row (none when the session is not open)."""
    user_id = sa.bindparam("user_id", type_=sa.Integer)
    helper_id = sa.select(HelperProfile.id).where(HelperProfile.user_id == user_id).scalar_subquery()
    offers, assignments, consents = _own_subqueries(helper_id)
    user_orgs = _user_orgs_subquery(user_id)
    return (
        sa.select(
            User.role,
            User.locale,
            User.active,
            User.session_version,
            UserSession.last_seen_at,
            *PROFILE_VERSION_COLUMNS,
            offers,
            assignments,
            consents,
            user_orgs,
        )
        .select_from(User)
        .join(UserSession, UserSession.user_id == User.id)
        .outerjoin(HelperProfile, HelperProfile.user_id == User.id)
        .join(offers, sa.true())
        .join(assignments, sa.true())
        .join(consents, sa.true())
        .join(user_orgs, sa.true())
        .where(open_session_condition())
    )


#: The cached network rows: every column a card and the hard rules read (BOARD_COLUMNS).
NETWORK_COLUMNS = tuple(sa.select(*BOARD_COLUMNS).selected_columns.keys())


@functools.cache
def network_statement() -> sa.Select:
    """The upcoming open and offered errands the organization rule lets a network see
    (the same for every helper of the network: keyed by it in the board's cache,
    :mod:`app.errands.board_cache`), in start order, with :data:`BOARD_COLUMNS`."""
    p = sa.bindparam
    return (
        join_spec_tables(sa.select(*BOARD_COLUMNS).select_from(Errand))
        .where(
            Errand.state.in_(("open", "offered")),
            Errand.starts_at > p("now", type_=UTCDateTime()),
            board_condition(p("org_id", type_=sa.Integer), p("user_id", type_=sa.Integer)),
        )
        .order_by(Errand.starts_at, Errand.id)
    )


@functools.cache
def network_organizations_statement() -> sa.Select:
    """The organizations whose errands the network's board can show (their changes
    invalidate its cached rows)."""
    p = sa.bindparam
    return sa.select(board_organizations(p("org_id", type_=sa.Integer), p("user_id", type_=sa.Integer)).subquery().c.id)
