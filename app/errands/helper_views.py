"""What a helper sees: the board, their errands, and an assigned errand's details.

Privacy rule: the board shows task, time, village and distance only. The
person's first name, address, phone, access notes and a map link
(:class:`AssignedDetails`) are shown only to a helper with an active or done
assignment, and only until ``Assignment.details_visible_until``. Health notes
and the surname are never shown to helpers.
"""

from __future__ import annotations

import functools
import heapq
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from urllib.parse import quote_plus

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.auth.sessions import SessionLogin
from app.db_setup import one_statement, plan_once
from app.errands import board_cache
from app.errands.board_query import (
    BOARD_COLUMNS,
    OWN_VERSION_COLUMNS,
    board_page_params,
    board_page_statement,
    board_version_statement,
    own_version_statement,
    revalidation_statement,
)
from app.errands.eligibility import DayCandidates, candidate_from_profile, join_spec_tables, spec_from_row
from app.errands.lifecycle import is_late_withdrawal, report_allowed
from app.errands.notifications import place_name
from app.extensions import db
from app.i18n import HELSINKI
from app.matching.geo import bounding_box
from app.matching.score import (
    ErrandRules,
    HelperCandidate,
    errand_rules,
    hard_rules,
    hard_rules_each,
    passing_each,
)
from app.models import Assignment, Elder, Errand, HelperProfile, HelpRequest, Offer
from app.models.base import UTCDateTime
from app.phones import display_phone
from app.policy import board_condition, helper_may_act_on_assignment, helper_may_see_details
from app.vocabulary import LIVE_ERRAND_STATES

#: How many finished errands "My errands" lists.
PAST_LIMIT = 20


@dataclass(frozen=True)
class BoardItem:
    errand_id: int
    task_code: str
    task: str
    starts_at: datetime
    ends_at: datetime
    place: str
    distance_km: float | None
    offered: bool
    helpers_needed: int
    offer_expires_at: datetime | None


@dataclass(frozen=True)
class AssignedDetails:
    """What an assigned helper may know about the person."""

    first_name: str
    street_address: str | None
    postcode: str | None
    place: str
    phone: str | None
    phone_display: str | None
    access_notes: str | None
    notes_for_helper: str | None
    map_url: str | None
    geo_uri: str | None
    visible_until: datetime


@dataclass(frozen=True)
class MyErrand:
    assignment: Assignment
    errand: Errand
    task: str
    place: str
    details: AssignedDetails | None
    can_withdraw: bool
    late_withdrawal: bool
    can_report: bool


@dataclass(frozen=True)
class MyErrands:
    to_report: list[MyErrand]
    upcoming: list[MyErrand]
    past: list[MyErrand]


@dataclass(frozen=True, slots=True)
class _Offered:
    status: str
    expires_at: datetime | None


def _one_of(column: sa.ColumnElement, values: tuple[str, ...]) -> sa.ColumnElement[bool]:
    """``column IN (values)`` with the code's own constants written into the SQL: a list of
    bound values is written into the statement's text again on every execution."""
    assert all("'" not in value for value in values)
    return column.in_([sa.literal_column(f"'{value}'") for value in values])


@functools.cache
def _own_errands_statement() -> sa.CompoundSelect:
    """The helper's pending and declined offers, and the errands they hold or have done
    with their times (built once: only ``helper_id`` changes)."""
    helper_id = sa.bindparam("helper_id", type_=sa.Integer)
    no_time = sa.null().cast(UTCDateTime())
    # Named columns: the board's full page reads it as a subquery (_own_board_statement).
    return sa.union_all(
        sa.select(
            Offer.errand_id,
            Offer.status,
            Offer.expires_at,
            no_time.label("starts_at"),
            no_time.label("ends_at"),
            sa.literal(True).label("is_offer"),
        ).where(Offer.helper_id == helper_id, _one_of(Offer.status, ("pending", "declined"))),
        sa.select(Errand.id, Assignment.status, no_time, Errand.starts_at, Errand.ends_at, sa.literal(False))
        .join(Assignment, Assignment.errand_id == Errand.id)
        .where(Assignment.helper_id == helper_id, _one_of(Assignment.status, ("active", "done"))),
    )


#: A helper's own offers and errands (:func:`_own_errands`): pending and declined offers by
#: errand, the errands they hold or have done, and the active ones' times (busy).
OwnErrands = tuple[dict[int, _Offered], set[int], list[tuple[int, datetime, datetime]]]


@functools.cache
def _own_board_statement() -> sa.Select:
    """:func:`app.errands.board_query.own_version_statement`'s one row joined with each row of
    :func:`_own_errands_statement` (once, with NULLs, when there is none): what the board's
    full page reads of the helper's own, in one statement (built once)."""
    version = own_version_statement().subquery("own_version")
    errands = _own_errands_statement().subquery("own_errands")
    return sa.select(version, errands).select_from(version).outerjoin(errands, sa.true())


def _own_errands(profile: HelperProfile) -> OwnErrands:
    """In one statement: the helper's pending and declined offers, the errands they
    hold or have done, and the active ones' times (busy)."""
    rows = db.session.connection().execute(_own_errands_statement(), {"helper_id": profile.id})
    return _own_errands_of(rows)


def _own_errands_of(rows: Iterable[tuple]) -> OwnErrands:
    """:data:`OwnErrands` from rows of :func:`_own_errands_statement`."""
    offers: dict[int, _Offered] = {}
    held: set[int] = set()
    busy: list[tuple[int, datetime, datetime]] = []
    for errand_id, status, expires_at, start, end, is_offer in rows:
        if is_offer:
            offers[errand_id] = _Offered(status, expires_at)
            continue
        held.add(errand_id)
        if status == "active":
            busy.append((errand_id, start, end))
    return offers, held, busy


def _place(row, locale: str) -> str:
    """As :func:`app.errands.notifications.place_name`, from the board's columns."""
    if row.village_name is not None:
        return row.village_name
    if row.muni_name is not None:
        return row.muni_name_sv if locale == "sv" and row.muni_name_sv else row.muni_name
    return ""


@functools.cache
def _board_statement(with_box: bool) -> sa.Select:
    """The board's errands (built once per shape; only the parameters change)."""
    near = sa.true()
    if with_box:
        near = sa.or_(
            Elder.lat.is_(None),
            sa.and_(
                Elder.lat.between(sa.bindparam("min_lat", type_=sa.Float), sa.bindparam("max_lat", type_=sa.Float)),
                Elder.lon.between(sa.bindparam("min_lon", type_=sa.Float), sa.bindparam("max_lon", type_=sa.Float)),
            ),
        )
    # Columns, not ORM objects: the board reads dozens of errands on every visit.
    return (
        join_spec_tables(sa.select(*BOARD_COLUMNS).select_from(Errand))
        .where(
            Errand.state.in_(("open", "offered")),
            Errand.starts_at > sa.bindparam("now", type_=UTCDateTime()),
            # The organization rule (app.policy): their organization's
            # errands and its partners' in the municipalities it serves.
            board_condition(sa.bindparam("org_id", type_=sa.Integer), sa.bindparam("user_id", type_=sa.Integer)),
            sa.or_(near, Errand.id.in_(sa.bindparam("pending_ids", expanding=True))),
        )
        .order_by(Errand.starts_at)
    )


def board(profile: HelperProfile, now: datetime, locale: str = "fi") -> list[BoardItem]:
    """Open errands the helper may take: their pending offers first, then nearest first.

    Errands the organization rule lets them see (:func:`app.policy.board_condition`)
    that start in the future and still
    need helpers; hard rules (approval, pause, consent, minors' hours, busy,
    distance) apply, except distance for errands offered to them. Errands they
    declined or already hold are left out. A bounding box on the person's
    indexed coordinates keeps the query small.
    """
    db.session.flush()  # the statements below run on the connection, past the autoflush
    plan_once(db.session.connection())
    offers, held_ids, busy = _own_errands(profile)
    pending_ids = [eid for eid, o in offers.items() if o.status == "pending"]
    params: dict = {
        "now": now,
        "org_id": profile.organization_id,
        "user_id": profile.user_id,
        "pending_ids": pending_ids or [-1],
    }
    with_box = profile.lat is not None and profile.lon is not None
    if with_box:
        min_lat, max_lat, min_lon, max_lon = bounding_box(profile.lat, profile.lon, profile.max_distance_km or 0.0)
        params.update(min_lat=min_lat, max_lat=max_lat, min_lon=min_lon, max_lon=max_lon)
    # Core execution on the session's connection: plain rows, no ORM layer in between.
    rows = db.session.connection().execute(_board_statement(with_box), params).all()
    rules = [errand_rules(spec_from_row(row)) for row in rows]
    days = [row.starts_at.astimezone(HELSINKI).date() for row in rows]
    passed, _total = _judged(profile, (rows, rules, days, range(len(rows))), offers, held_ids, busy)
    return [_item(*p, locale) for p in passed]


#: Rows to judge for one helper (:func:`_judged`): the rows (with :data:`BOARD_COLUMNS`), each
#: row's errand's part of the hard rules and its local date (three lists in step), and which of
#: them to judge (their indices, in the rows' start order).
Judged = tuple[Sequence[Any], Sequence[ErrandRules], Sequence[date], Sequence[int]]


def _judged(
    profile: HelperProfile,
    rows: Judged,
    offers: dict[int, _Offered],
    held_ids: set[int],
    busy: list[tuple[int, datetime, datetime]],
    limit: int | None = None,
    ordered: bool = False,
) -> tuple[list[tuple], int]:
    """The ``rows`` (:data:`Judged`) that pass the helper's hard rules, in the board's order:
    their own offers, assignments (``held_ids``, ``busy``) and declines, then
    :func:`app.matching.score.hard_rules_each`. The first ``limit`` (all: None) of them, each
    as (row, distance, offered, offer's expiry), for :func:`_item`; and how many pass.
    ``ordered``: the indices' rows are in the order of their start and id (a kept
    snapshot's, :func:`app.errands.board_query.network_statement`), so that among errands
    as near, the index orders them as the board does."""
    board_rows, rules, days, indices = rows
    left_out = held_ids.union(eid for eid, o in offers.items() if o.status == "declined")
    kept = [i for i in indices if board_rows[i].id not in left_out] if left_out else indices
    if not kept:
        return [], 0
    # The errands they hold are left out, so each judged errand's busy intervals are all
    # their active assignments (the rule itself looks for one that overlaps the errand).
    candidates = DayCandidates(profile, tuple((s, e) for _i, s, e in busy))
    # The rows come in start order: one candidate for the first and the last day is the one of
    # every row (most boards); else the rows are judged one run of a candidate after another.
    candidate = candidates.through(days[kept[0]], days[kept[-1]])
    runs = [(candidate, kept)] if candidate is not None else _runs(kept, days, candidates)
    if not offers and ordered and len(runs) == 1:
        # Nothing offered to them, one candidate for every row: the rows that pass (most), by
        # (no distance, distance, index), which is _board_order(False, ...) for rows in order.
        found = passing_each(rules, kept, runs[0][0])
        if found is not None:
            total = len(found)
            first = _first(found, limit)
            return [(board_rows[i], None if none else km, False, None) for none, km, i in first], total
    passed: list[tuple] = []  # each with its place in the board's order (_board_order) first
    append = passed.append
    for candidate, run in runs:
        # Only the hard rules: the board shows no scores.
        judged = hard_rules_each([rules[i] for i in run], candidate)
        run_rows = [board_rows[i] for i in run]
        if not offers:  # nothing offered to them: the rows that pass, each in its place
            # _board_order(False, distance, row.starts_at, row.id), written out: most rows pass.
            passed += [
                ((True, distance is None, distance or 0.0, row.starts_at, row.id), row, distance, False, None)
                for row, (failed, distance) in zip(run_rows, judged, strict=True)
                if not failed
            ]
            continue
        for row, (failed, distance) in zip(run_rows, judged, strict=True):
            offer = offers.get(row.id)
            if offer is not None and offer.status == "pending":
                # An offer was the coordinator's choice: distance does not hide it.
                if failed and {f.code for f in failed} != {"too_far"}:
                    continue
                append((_board_order(True, distance, row.starts_at, row.id), row, distance, True, offer.expires_at))
            elif not failed:
                order = (True, distance is None, distance or 0.0, row.starts_at, row.id)
                append((order, row, distance, False, None))
    # The orders differ (the errand's id is in each): the rows themselves are never compared.
    first = sorted(passed) if limit is None or limit >= len(passed) else heapq.nsmallest(limit, passed)
    return [p[1:] for p in first], len(passed)


def _first(found: list[tuple], limit: int | None) -> list[tuple]:
    """``sorted(found)[:limit]`` (all: None) of distinct tuples, made of ``found`` itself (it is
    reordered, and the first taken out of it): a heap made and popped ``limit`` times in C,
    not a sort of them all."""
    if limit is None or limit >= len(found):
        found.sort()
        return found
    heapq.heapify(found)
    pop = heapq.heappop
    return [pop(found) for _ in range(limit)]


def _runs(
    indices: Sequence[int], days: Sequence[date], candidates: DayCandidates
) -> list[tuple[HelperCandidate, list]]:
    """The rows of ``indices`` (in start order) in runs of one candidate each (a day that
    changes nothing of the helper gives the same candidate back)."""
    runs: list[tuple[HelperCandidate, list]] = []
    on: date | None = None
    candidate: HelperCandidate | None = None
    run: list[int] = []
    for i in indices:
        day = days[i]
        if day != on:  # a day's rows one after another
            on, day_candidate = day, candidates.on(day)
            if day_candidate is not candidate:
                candidate, run = day_candidate, []
                runs.append((candidate, run))
        run.append(i)
    return runs


def _near_rows(
    profile: HelperProfile, snapshot: board_cache.NetworkSnapshot, now: datetime, pending_ids: set[int]
) -> Judged:
    """The kept rows the board's statement would read for this helper (:data:`Judged`):
    starting after ``now``, in the box around them (or offered to them, or with no place of the
    person's own)."""
    first = snapshot.first_upcoming(now)
    rows = snapshot.rows
    if profile.lat is None or profile.lon is None:
        return rows, snapshot.rules, snapshot.days, range(first, len(rows))
    min_lat, max_lat, min_lon, max_lon = bounding_box(profile.lat, profile.lon, profile.max_distance_km or 0.0)
    near = snapshot.in_box(first, min_lat, max_lat, min_lon, max_lon)
    if pending_ids:  # offered to them: wherever it is
        near = sorted({*near, *(i for i in range(first, len(rows)) if rows[i].id in pending_ids)})
    return rows, snapshot.rules, snapshot.days, near


def _board_order(offered: bool, distance_km: float | None, starts_at: datetime, errand_id: int) -> tuple:
    """The board's order: offered to them first, then the nearest (unknown distances last)."""
    return (not offered, distance_km is None, distance_km or 0.0, starts_at, errand_id)


def _sort_key(item: BoardItem) -> tuple:
    return _board_order(item.offered, item.distance_km, item.starts_at, item.errand_id)


def board_page(
    profile: HelperProfile,
    now: datetime,
    locale: str = "fi",
    limit: int = 16,
    snapshot: board_cache.NetworkSnapshot | None = None,
    own: OwnErrands | None = None,
) -> tuple[list[BoardItem], int]:
    """The first ``limit`` errands of :func:`board`, and how many it has in all.

    With the network's kept errands (``snapshot``, :mod:`app.errands.board_cache`),
    one statement reads the helper's own offers and assignments (unless given: ``own``,
    read with the board's version by :func:`board_state`) and the hard
    rules are applied to the kept rows in Python, as :func:`board` does.
    Without, one statement (:mod:`app.errands.board_query`) applies in SQL the rules it
    can and stops at ``limit``; each row it returns is then checked with the
    pure hard rules (all but ``busy``, which only the statement checks), which
    have the last word: should they refuse a row the statement let through,
    the page is made the long way, by :func:`board`.
    """
    if profile.status != "approved":  # fails a hard rule for every errand
        return [], 0
    if snapshot is not None:
        db.session.flush()
        offers, held_ids, busy = own if own is not None else _own_errands(profile)
        pending_ids = {eid for eid, o in offers.items() if o.status == "pending"}
        near = _near_rows(profile, snapshot, now, pending_ids)
        passed, total = _judged(profile, near, offers, held_ids, busy, limit, ordered=True)
        return [_item(*p, locale) for p in passed], total
    today = now.astimezone(HELSINKI).date()
    consent = profile.is_minor_on(today) and profile.has_valid_guardian_consent
    db.session.flush()  # the statement below runs on the connection, past the autoflush
    connection = db.session.connection()
    plan_once(connection)
    params = board_page_params(profile, now, consent, limit)
    with_distance = profile.lat is not None and profile.lon is not None
    if with_distance:
        min_lat, max_lat, min_lon, max_lon = bounding_box(profile.lat, profile.lon, profile.max_distance_km or 0.0)
        lat_r = profile.lat * math.pi / 180.0
        params.update(min_lat=min_lat, max_lat=max_lat, min_lon=min_lon, max_lon=max_lon)
        params.update(helper_lat_r=lat_r, helper_lon_r=profile.lon * math.pi / 180.0, helper_cos_lat=math.cos(lat_r))
    rows = connection.execute(board_page_statement(with_distance), params).all()
    candidates: dict[date, HelperCandidate] = {}
    items: list[BoardItem] = []
    for row in rows:
        on = row.starts_at.astimezone(HELSINKI).date()
        candidate = candidates.get(on)
        if candidate is None:
            candidate = candidates[on] = candidate_from_profile(profile, on=on, has_consent=consent)
        failed, distance = hard_rules(spec_from_row(row), candidate)
        if failed and not (row.offered and {f.code for f in failed} == {"too_far"}):
            everything = board(profile, now, locale)  # the statement was wrong: the long way
            return everything[:limit], len(everything)
        items.append(_item(row, distance, bool(row.offered), row.offer_expires_at, locale))
    items.sort(key=_sort_key)
    return items, rows[0].total if rows else 0


@dataclass(frozen=True)
class BoardState:
    """What the helper's board depends on now: ``version`` (equal versions, equal
    boards: the page's ``ETag``) and the network's kept errands (None without the cache)."""

    version: tuple
    snapshot: board_cache.NetworkSnapshot | None
    own: OwnErrands | None = None  # the helper's own offers and errands, when read with the version


def board_state(profile: HelperProfile | Any, now: datetime, own: tuple | None = None) -> BoardState:
    """With the board's cache: one small statement of the helper's own offers,
    assignments, consents and account organizations
    (:func:`app.errands.board_query.own_version_statement`; ``own``: its row, read
    already), read with their own offers and errands for the page (``BoardState.own``,
    :func:`_own_board_statement`) unless ``own`` is given, and the network's kept
    errands; without: :func:`board_version`.
    ``profile``: the helper's profile, or a row with its columns the version reads
    (:data:`app.errands.board_query.PROFILE_VERSION_COLUMNS`)."""
    if not board_cache.enabled():
        return BoardState(board_version(profile, now), None)
    own_errands = None
    if own is None:  # read with the helper's own offers and errands, for the page (one statement)
        db.session.flush()
        params = {"helper_id": profile.id, "user_id": profile.user_id}
        rows = db.session.connection().execute(_own_board_statement(), params).all()
        width = len(OWN_VERSION_COLUMNS)
        own = tuple(rows[0][:width])
        own_errands = _own_errands_of(row[width:] for row in rows if row[width] is not None)
    user_orgs = tuple(int(o) for o in own[OWN_VERSION_COLUMNS.index("user_orgs")].split(",") if o)
    snapshot = board_cache.network_snapshot(profile.organization_id, profile.user_id, user_orgs, now)
    network = (snapshot.fingerprint, snapshot.first_upcoming(now))
    return BoardState((*_own_version(profile), *own, *network), snapshot, own_errands)


@dataclass(frozen=True)
class Revalidation:
    """A helper's board checked without loading the user (:func:`revalidate`)."""

    locale: str | None  # the account's language
    state: BoardState


def own_profile_shown(status: str | None) -> bool:
    """A helper's own pages are shown for their profile unless it is missing (None) or deleted."""
    return status is not None and status != "deleted"


def revalidate(login: SessionLogin, now: datetime, roles: tuple[str, ...]) -> Revalidation | None:
    """For the board's ``304 Not Modified``: in one statement
    (:func:`app.errands.board_query.revalidation_statement`), the login checked as
    :func:`app.auth.sessions.load_user` checks it and the board's version as
    :func:`board_state` makes it. None whenever the page must go the usual way: the
    login does not hold or must note its use, the account's role is not among the
    view's ``roles``, or the profile is not shown (:func:`own_profile_shown`; the view
    answers those)."""
    with one_statement() as connection:
        row = connection.execute(revalidation_statement(), login.params).first()
    if row is None or login.valid(row.session_version, row.active, row.last_seen_at) is not True:
        return None
    if row.role not in roles or row.id is None or not own_profile_shown(row.status):
        return None
    own = tuple(getattr(row, name) for name in OWN_VERSION_COLUMNS)
    return Revalidation(row.locale, board_state(row, now, own))


def _own_version(profile: HelperProfile) -> tuple:
    own = (profile.id, profile.user_id, profile.organization_id, profile.status, profile.lat, profile.lon)
    return (*own, profile.max_distance_km, profile.paused_until, profile.birth_date)


def board_version(profile: HelperProfile, now: datetime) -> tuple:
    """What the helper's board depends on, read with one small statement
    (:func:`app.errands.board_query.board_version_statement`) plus the profile's own
    values: equal versions, equal boards (for the page's ``ETag``)."""
    db.session.flush()
    # Planned for its values (no plan_once): PostgreSQL's generic plan of it took 8 ms, the custom one 2.7 ms.
    params = {"now": now, "org_id": profile.organization_id, "user_id": profile.user_id, "helper_id": profile.id}
    row = db.session.connection().execute(board_version_statement(), params).one()
    return (*_own_version(profile), *row)


def _item(row, distance: float | None, offered: bool, expires_at: datetime | None, locale: str) -> BoardItem:
    # BoardItem(**fields), made without its frozen __init__ (ten object.__setattr__ calls by
    # name, a board makes sixteen or more): the same fields, an equal, frozen BoardItem.
    item = _new_object(BoardItem)
    vars(item).update(
        errand_id=row.id,
        task_code=row.task_code,
        task=(row.task_sv if locale == "sv" else row.task_en if locale == "en" else None) or row.task_fi,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        place=_place(row, locale),
        distance_km=distance,
        offered=offered,
        helpers_needed=row.helpers_needed,
        offer_expires_at=expires_at if offered else None,
    )
    return item


_new_object = object.__new__


def map_links(elder: Elder) -> tuple[str | None, str | None]:
    """(OpenStreetMap URL, geo: URI) for the person's home; a search link when not geocoded."""
    lat, lon = (elder.lat, elder.lon)
    if lat is not None and lon is not None:
        return (
            f"https://www.openstreetmap.org/?mlat={lat:.6f}&mlon={lon:.6f}#map=17/{lat:.6f}/{lon:.6f}",
            f"geo:{lat:.6f},{lon:.6f}",
        )
    query = " ".join(p for p in (elder.street_address, elder.postcode, place_name(elder)) if p)
    if not query:
        return None, None
    return f"https://www.openstreetmap.org/search?query={quote_plus(query)}", None


def visible_details(errand: Errand, helper_profile: HelperProfile, now: datetime) -> AssignedDetails | None:
    """The person's details for this helper, or None when they may not see them.

    Only while the helper has an active or done assignment for the errand and
    ``now <= details_visible_until``. First name, address, phone, access
    notes, the coordinator's notes for the helper and a map link; never the
    surname or the health notes.
    """
    allowed, assignment = helper_may_see_details(helper_profile, errand, now)
    if not allowed or assignment is None or assignment.details_visible_until is None:
        return None
    elder = errand.elder
    map_url, geo_uri = map_links(elder)
    request: HelpRequest | None = errand.request
    return AssignedDetails(
        first_name=elder.first_name,
        street_address=elder.street_address,
        postcode=elder.postcode,
        place=place_name(elder),
        phone=elder.phone,
        phone_display=display_phone(elder.phone) if elder.phone else None,
        access_notes=elder.access_notes,
        notes_for_helper=request.notes_for_helper if request is not None else None,
        map_url=map_url,
        geo_uri=geo_uri,
        visible_until=assignment.details_visible_until,
    )


def my_errands(profile: HelperProfile, now: datetime, locale: str = "fi") -> MyErrands:
    """The helper's errands: to report (started, not yet marked done), upcoming, and past."""
    assignments = list(
        db.session.scalars(
            sa.select(Assignment)
            .join(Errand, Errand.id == Assignment.errand_id)
            .options(
                selectinload(Assignment.errand).selectinload(Errand.elder),
                selectinload(Assignment.errand).selectinload(Errand.task_type),
            )
            .where(Assignment.helper_id == profile.id)
            .order_by(Errand.starts_at, Assignment.id)
        )
    )
    to_report: list[MyErrand] = []
    upcoming: list[MyErrand] = []
    past: list[MyErrand] = []
    for a in assignments:
        errand = a.errand
        active = a.status == "active" and errand.state in LIVE_ERRAND_STATES
        started = errand.starts_at <= now
        details = visible_details(errand, profile, now) if a.status in ("active", "done") else None
        item = MyErrand(
            assignment=a,
            errand=errand,
            task=errand.task_type.name(locale),
            place=place_name(errand.elder, locale),
            details=details,
            can_withdraw=active and not started,
            late_withdrawal=active and not started and is_late_withdrawal(errand, now),
            can_report=active and report_allowed(errand, now),
        )
        if active and started:
            to_report.append(item)
        elif active:
            upcoming.append(item)
        else:
            past.append(item)
    past.sort(key=lambda i: i.errand.starts_at, reverse=True)
    return MyErrands(to_report, upcoming, past[:PAST_LIMIT])


def next_errand(profile: HelperProfile, now: datetime) -> Assignment | None:
    """The helper's next active assignment that has not ended."""
    return db.session.scalar(
        sa.select(Assignment)
        .join(Errand, Errand.id == Assignment.errand_id)
        .where(Assignment.helper_id == profile.id, Assignment.status == "active", Errand.ends_at > now)
        .order_by(Errand.starts_at)
        .limit(1)
    )


def own_assignment(profile: HelperProfile, assignment_id: int) -> Assignment | None:
    assignment = db.session.get(Assignment, assignment_id)
    if assignment is None or not helper_may_act_on_assignment(profile, assignment):
        return None
    return assignment
