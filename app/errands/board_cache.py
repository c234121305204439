"""A short shared cache of each network's upcoming open errands (the helper's board).

Every helper of a network (their profile's organization and their account's,
which decide what :func:`app.policy.board_condition` lets them see) reads the
same upcoming open and offered errands; only the hard rules, the distance and
their own offers and assignments differ. So the rows
(:func:`app.errands.board_query.network_statement`: task, times, village and
the point distances are measured from, never a name, address or phone) are
read once and kept in the Flask-Caching cache the report cache uses (Redis for
every app node when ``REDIS_URL`` is set), and in each worker's memory, for at
most ``BOARD_CACHE_SECONDS``. The per-helper rules are applied to the kept
rows on every request (:mod:`app.errands.helper_views`).

A kept snapshot is used only while

* it is younger than ``BOARD_CACHE_SECONDS`` (by the request's ``now``, never
  from a ``now`` before the one it was read at), and
* the generation of every organization whose errands it could hold is the one
  it was read with: any committed change of an errand or a person of an
  organization gives it a new generation (:func:`_collect`, :func:`_bump`), so
  a taken, cancelled or new errand shows on the next request, on every node.
  Changes made around the ORM (bulk updates) and changes of names (task types,
  villages) or partnerships wait for the time limit at most.

``BOARD_CACHE_SECONDS = 0`` turns the cache off: the board is read with its one
statement (:func:`app.errands.board_query.board_page_statement`).
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import math
import secrets
from collections import namedtuple
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from itertools import chain

import sqlalchemy as sa
from flask import current_app, has_app_context

from app.errands.board_query import NETWORK_COLUMNS, network_organizations_statement, network_statement
from app.errands.eligibility import spec_from_row
from app.extensions import cache, db
from app.i18n import HELSINKI
from app.matching.score import ErrandRules, errand_rules
from app.memo import keep
from app.models import Elder, Errand

log = logging.getLogger(__name__)

#: Part of every key: a new shape of the rows never reads an old one.
VERSION = 4

#: How many networks each worker keeps in its own memory besides the shared cache.
LOCAL_NETWORKS = 256

#: One kept errand: the columns of :data:`app.errands.board_query.BOARD_COLUMNS`.
BoardRow = namedtuple("BoardRow", NETWORK_COLUMNS)


#: The height (degrees of latitude, ~2.2 km) of the bands the kept rows are filed in by their
#: person's point (:class:`Places`): a helper's box (some kilometres) covers a few of them.
BAND_DEGREES = 0.02
#: A box over more bands than this (a very long distance limit) is looked for row by row.
MAX_BANDS = 64


@dataclass(frozen=True)
class Places:
    """Where the kept rows are: the rows with a point of their person's own (finite latitude
    and longitude) filed by band of latitude, each band's as (longitudes in order, the rows'
    indices in that order); and the rows whose person has no latitude (every helper's box
    takes them, as the board's statement does)."""

    bands: dict[int, tuple[tuple[float, ...], tuple[int, ...]]]
    unplaced: tuple[int, ...]

    @classmethod
    def of(cls, rows: tuple[BoardRow, ...]) -> Places:
        bands: dict[int, list[tuple[float, int]]] = {}
        unplaced: list[int] = []
        for i, row in enumerate(rows):
            if row.lat is None:
                unplaced.append(i)
            elif row.lon is not None and math.isfinite(row.lat) and math.isfinite(row.lon):
                bands.setdefault(_band(row.lat), []).append((row.lon, i))
            # else: a latitude without a longitude (or not finite) is never in a box
        filed = {}
        for band, found in bands.items():
            found.sort()
            filed[band] = (tuple(lon for lon, _i in found), tuple(i for _lon, i in found))
        return cls(filed, tuple(unplaced))


def _band(lat: float) -> int:
    return math.floor(lat / BAND_DEGREES)


@dataclass(frozen=True)
class NetworkSnapshot:
    network: tuple[int, ...]  # the organizations that name the network (the key)
    organizations: tuple[int, ...]  # whose errands it can show (their generations decide)
    generations: tuple  # those organizations' generations when the rows were read
    read_at: datetime  # the rows are the errands starting after this
    rows: tuple[BoardRow, ...]  # in start order
    # Each row's part of the hard rules (the same for every helper; worked out from the rows).
    rules: tuple[ErrandRules, ...] = field(compare=False, repr=False)
    days: tuple[date, ...]  # each row's local (Helsinki) date, the day its rules are judged on
    fingerprint: str  # of the rows: equal rows, equal fingerprint (the board's ETag)
    places: Places = field(compare=False, repr=False)  # where the rows are (worked out from them)

    def in_box(self, first: int, min_lat: float, max_lat: float, min_lon: float, max_lon: float) -> list[int]:
        """The indices, from ``first`` on and in order, of the rows whose person's point is in
        the box (both ends included) or who have no latitude: the rows of
        ``row.lat is None or (min_lat <= row.lat <= max_lat and row.lon is not None and
        min_lon <= row.lon <= max_lon)``, looked for only in the bands the box covers, each
        band's longitudes by bisection."""
        low, high = _band(min_lat), _band(max_lat)
        rows = self.rows
        if high - low + 1 > MAX_BANDS:
            return [
                i
                for i, row in enumerate(rows[first:], first)
                if row.lat is None
                or (min_lat <= row.lat <= max_lat and row.lon is not None and min_lon <= row.lon <= max_lon)
            ]
        bands = self.places.bands
        found = [i for i in self.places.unplaced if i >= first]
        for band in range(low, high + 1):
            filed = bands.get(band)
            if filed is not None:
                lons, indices = filed
                west, east = bisect.bisect_left(lons, min_lon), bisect.bisect_right(lons, max_lon)
                if low < band < high:
                    # A band between the box's first and last: all its rows are within the box's
                    # latitudes (x / BAND_DEGREES only grows with x, so a row below min_lat would
                    # be in band low or lower, above max_lat in band high or higher).
                    found += [i for i in indices[west:east] if i >= first] if first else indices[west:east]
                else:
                    found += [i for i in indices[west:east] if i >= first and min_lat <= rows[i].lat <= max_lat]
        found.sort()
        return found

    def first_upcoming(self, now: datetime) -> int:
        """The index of the first kept errand that starts after ``now``."""
        rows = self.rows
        first = 0
        while first < len(rows) and rows[first].starts_at <= now:
            first += 1
        return first


def _local() -> dict[tuple[int, ...], NetworkSnapshot]:
    """This worker's snapshots by network, for this app (at most LOCAL_NETWORKS)."""
    return current_app.extensions.setdefault("board_cache", {})


def enabled() -> bool:
    return current_app.config["BOARD_CACHE_SECONDS"] > 0


def _key(network: tuple[int, ...]) -> str:
    return f"board:{VERSION}:network:" + ",".join(map(str, network))


def _generation_key(organization_id: int) -> str:
    return f"board:{VERSION}:generation:{organization_id}"


def _generations(organizations: tuple[int, ...]) -> tuple:
    if not organizations:
        return ()
    return tuple(cache.get_many(*(_generation_key(o) for o in organizations)))


def _usable(snapshot: object, now: datetime) -> bool:
    if not isinstance(snapshot, NetworkSnapshot):
        return False
    seconds = current_app.config["BOARD_CACHE_SECONDS"]
    if not snapshot.read_at <= now < snapshot.read_at + timedelta(seconds=seconds):
        return False
    return _generations(snapshot.organizations) == snapshot.generations


def network_snapshot(organization_id: int, user_id: int, user_orgs: tuple[int, ...], now: datetime) -> NetworkSnapshot:
    """The upcoming open errands of the network of a helper (profile's ``organization_id``,
    account ``user_id`` in ``user_orgs``): kept, or read now and kept."""
    network = tuple(sorted({organization_id, *user_orgs}))
    local = _local().get(network)
    try:
        if local is not None and _usable(local, now):
            return local
        shared = cache.get(_key(network))
        if _usable(shared, now):
            _remember(shared)
            return shared
    except Exception:  # a broken cache must not break the page
        log.warning("board cache could not be read", exc_info=True)
    return _read(network, organization_id, user_id, now)


def _read(network: tuple[int, ...], organization_id: int, user_id: int, now: datetime) -> NetworkSnapshot:
    connection = db.session.connection()
    params = {"org_id": organization_id, "user_id": user_id, "now": now}
    organizations = tuple(sorted(connection.execute(network_organizations_statement(), params).scalars()))
    try:
        # Read before the rows: a change committed meanwhile leaves a newer generation.
        generations = _generations(organizations)
    except Exception:
        log.warning("board cache could not be read", exc_info=True)
        generations = None
    rows = tuple(BoardRow(*row) for row in connection.execute(network_statement(), params))
    snapshot = NetworkSnapshot(
        network=network,
        organizations=organizations,
        generations=generations if generations is not None else (),
        read_at=now,
        rows=rows,
        rules=tuple(errand_rules(spec_from_row(row)) for row in rows),
        days=tuple(row.starts_at.astimezone(HELSINKI).date() for row in rows),
        fingerprint=hashlib.blake2b(repr(rows).encode(), digest_size=16).hexdigest(),
        places=Places.of(rows),
    )
    if generations is not None:
        try:
            cache.set(_key(network), snapshot, timeout=current_app.config["BOARD_CACHE_SECONDS"])
        except Exception:
            log.warning("board cache could not be written", exc_info=True)
        _remember(snapshot)
    return snapshot


def _remember(snapshot: NetworkSnapshot) -> None:
    keep(_local(), snapshot.network, snapshot, limit=LOCAL_NETWORKS)


# --------------------------------------------------------------------------
# Invalidation: a committed change of an errand or a person, a new generation
# --------------------------------------------------------------------------

_PENDING = "board_cache_organizations"


def _collect(session: sa.orm.Session, _flush_context) -> None:
    """After a flush: the organizations of the errands and people it wrote."""
    organizations = None
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, (Errand, Elder)) and obj.organization_id is not None:
            if organizations is None:
                organizations = session.info.setdefault(_PENDING, set())
            organizations.add(obj.organization_id)


def _bump(session: sa.orm.Session) -> None:
    """After the commit: those organizations' boards are read again on the next request."""
    organizations = session.info.pop(_PENDING, None)
    if not organizations or not has_app_context():
        return
    try:
        cache.set_many({_generation_key(o): secrets.token_hex(8) for o in organizations}, timeout=0)
    except Exception:  # the time limit still holds
        log.warning("board cache generations could not be written", exc_info=True)


sa.event.listen(sa.orm.Session, "after_flush", _collect)
sa.event.listen(sa.orm.Session, "after_commit", _bump)
