"""Rows to the pure matcher's inputs, and the hard rules for one helper.

The matching score (:mod:`app.matching.score`) is pure; this module turns an
:class:`~app.models.Errand` and a :class:`~app.models.HelperProfile` into its
:class:`ErrandSpec` / :class:`HelperCandidate` so the board, acceptance and the
coordinator's ranking apply the same rules:

* :func:`spec_from_errand` — the errand as the matcher sees it (the elder's
  location, or their village's / municipality's centre when not geocoded).
* :func:`candidate_from_profile` — one helper; the caller passes the values
  that need queries (busy intervals, continuity, fairness) or uses
  :func:`busy_intervals_for` for one helper.
* :func:`exclusions_for` — the hard rules that stop this helper taking this
  errand now (empty tuple: eligible).
* :func:`availability_refusals` — who may not be *offered* the errand because
  of the availability they gave (their usual times, when they gave any, and
  their days away: :mod:`app.matching.availability`). A coordinator's direct
  assignment may still go past it (the errand's history says so).
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import date, datetime

import sqlalchemy as sa

from app.extensions import db
from app.i18n import HELSINKI
from app.matching.availability import HelperWeek, unavailable_reason
from app.matching.score import (
    ErrandSpec,
    Excluded,
    Exclusion,
    HelperCandidate,
    Ranked,
    evaluate,
    new_candidate,
)
from app.models import (
    Assignment,
    AvailabilityException,
    Elder,
    Errand,
    HelperProfile,
    HelpRequest,
    Municipality,
    TaskType,
    Village,
    minor_on,
    paused_on,
)
from app.vocabulary import ELDER_PROFILES, YOUTH_PROFILES

#: HelperProfile.transport -> the matcher's travel mode (explanations only).
TRAVEL_MODES = {"foot": "walk", "bike": "bike", "moped": "moped", "car": "car"}

_FINNISH_ONLY = frozenset({"fi"})

#: Assignment statuses that keep a helper busy at the errand's time.
BUSY_STATUSES = ("active",)


def errand_location(elder: Elder) -> tuple[float | None, float | None]:
    """Where the errand happens: the elder's point, else their village's or municipality's centre."""
    if elder.lat is not None and elder.lon is not None:
        return elder.lat, elder.lon
    return first_point(*((place.lat, place.lon) for place in (elder.village, elder.municipality) if place is not None))


def errand_local_date(errand: Errand) -> date:
    return errand.starts_at.astimezone(HELSINKI).date()


def spec_from_errand(errand: Errand) -> ErrandSpec:
    """The errand as :mod:`app.matching.score` sees it."""
    elder = errand.elder
    lat, lon = errand_location(elder)
    request = errand.request
    return make_spec(
        errand_id=errand.id,
        elder_id=errand.elder_id,
        task_code=errand.task_type.code,
        lat=lat,
        lon=lon,
        starts_at=errand.starts_at,
        ends_at=errand.ends_at,
        language=elder.language,
        elder_profile=elder.elder_profile,
        prefers_continuity=elder.prefers_continuity,
        preferred_helper_id=request.preferred_helper_id if request is not None else None,
    )


def make_spec(
    *,
    errand_id: int,
    elder_id: int,
    task_code: str,
    lat: float | None,
    lon: float | None,
    starts_at: datetime,
    ends_at: datetime,
    language: str | None,
    elder_profile: str | None,
    prefers_continuity: bool | None,
    preferred_helper_id: int | None,
) -> ErrandSpec:
    """An errand's matcher input from plain values (the board reads them as columns)."""
    return ErrandSpec(
        errand_id=errand_id,
        elder_id=elder_id,
        task_type=task_code,
        lat=lat,
        lon=lon,
        starts_at=starts_at,
        ends_at=ends_at,
        language=language or "fi",
        elder_profile=elder_profile if elder_profile in ELDER_PROFILES else None,
        prefers_continuity=bool(prefers_continuity),
        preferred_helper_id=preferred_helper_id,
    )


#: The columns :func:`spec_from_row` reads: an errand with its person's and places'
#: (select them from Errand through :func:`join_spec_tables`). The helper's board
#: and the ranking read errands so, as plain rows instead of ORM objects.
SPEC_COLUMNS = (
    Errand.id,
    Errand.elder_id,
    Errand.starts_at,
    Errand.ends_at,
    TaskType.code.label("task_code"),
    Elder.lat,
    Elder.lon,
    Village.lat.label("village_lat"),
    Village.lon.label("village_lon"),
    Municipality.lat.label("muni_lat"),
    Municipality.lon.label("muni_lon"),
    Elder.language,
    Elder.elder_profile,
    Elder.prefers_continuity,
    HelpRequest.preferred_helper_id,
)


def join_spec_tables(stmt: sa.Select) -> sa.Select:
    """The joins from Errand that :data:`SPEC_COLUMNS` need."""
    return (
        stmt.join(Elder, Elder.id == Errand.elder_id)
        .join(TaskType, TaskType.id == Errand.task_type_id)
        .outerjoin(Village, Village.id == Elder.village_id)
        .outerjoin(Municipality, Municipality.id == Elder.municipality_id)
        .outerjoin(HelpRequest, HelpRequest.id == Errand.request_id)
    )


def spec_from_row(row) -> ErrandSpec:
    """An errand's matcher input from a row with :data:`SPEC_COLUMNS`."""
    lat, lon = first_point((row.lat, row.lon), (row.village_lat, row.village_lon), (row.muni_lat, row.muni_lon))
    return make_spec(
        errand_id=row.id,
        elder_id=row.elder_id,
        task_code=row.task_code,
        lat=lat,
        lon=lon,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        language=row.language,
        elder_profile=row.elder_profile,
        prefers_continuity=row.prefers_continuity,
        preferred_helper_id=row.preferred_helper_id,
    )


def first_point(*points: tuple[float | None, float | None]) -> tuple[float | None, float | None]:
    """The first point with both coordinates (the person, their village, their municipality)."""
    for lat, lon in points:
        if lat is not None and lon is not None:
            return lat, lon
    return None, None


def candidate_from_profile(
    profile: HelperProfile,
    *,
    on: date,
    busy_intervals: tuple[tuple[datetime, datetime], ...] = (),
    past_errands_with_elder: int = 0,
    past_feedback_with_elder: float | None = None,
    recent_assignments: int = 0,
    has_consent: bool | None = None,
    like: HelperCandidate | None = None,
    sets: tuple[frozenset[str], frozenset[tuple[int, str]], frozenset[str]] | None = None,
) -> HelperCandidate:
    """One helper as the matcher sees them, judged on the errand's local date ``on``.

    ``has_consent`` may be passed when the caller loaded consents in bulk;
    otherwise it is read from the profile (only for minors). ``like``: the same
    profile's candidate on another day, whose task, availability and language sets
    are taken as they are, and which is given back itself when it is the same on
    ``on`` (the board judges one helper on many days). ``sets``: the helper's task
    types, availability and languages as the matcher's sets already (the matching
    statement reads them as bits), used as they are instead of the profile's; the
    profile may then be any object with the profile's other attributes (a row).
    """
    minor = minor_on(profile.birth_date, on)
    if has_consent is None:
        has_consent = profile.has_valid_guardian_consent if minor else True
    paused = paused_on(profile.paused_until, on)
    if (
        like is not None
        and like.is_minor == minor
        and like.is_paused == paused
        and like.has_guardian_consent == bool(has_consent)
        and like.busy_intervals == busy_intervals
        and like.past_errands_with_elder == past_errands_with_elder
        and like.past_feedback_with_elder == past_feedback_with_elder
        and like.recent_assignments == recent_assignments
    ):
        return like  # the day changes nothing of it
    if like is not None:
        task_types, availability, languages = like.task_types, like.availability, like.languages
    elif sets is not None:
        task_types, availability, languages = sets
        languages = languages or _FINNISH_ONLY
    else:
        task_types = frozenset(profile.task_types or ())
        availability = availability_set(profile.availability or ())
        languages = frozenset(profile.languages or ()) or _FINNISH_ONLY
    lat, lon, status, youth_profile = profile.lat, profile.lon, profile.status, profile.youth_profile
    both = lat is not None and lon is not None
    # Positional, in HelperCandidate's field order (a ranking makes about a hundred).
    return new_candidate(
        profile.id,  # helper_id
        lat if both else None,
        lon if both else None,
        max(float(profile.max_distance_km or 0.0), 0.0),  # max_distance_km
        status == "approved",  # is_approved
        paused,  # is_paused
        status == "suspended",  # is_suspended
        minor,  # is_minor
        bool(has_consent),  # has_guardian_consent
        task_types,
        availability,
        languages,
        busy_intervals,
        youth_profile if youth_profile in YOUTH_PROFILES else None,
        past_errands_with_elder,
        past_feedback_with_elder,
        recent_assignments,
        TRAVEL_MODES.get(profile.transport),  # travel_mode
    )


class DayCandidates:
    """One helper as the matcher sees them on each day (:func:`candidate_from_profile` with
    ``on=`` the day and these ``busy_intervals``), made once for each different pair of what
    a day changes of a candidate: whether they are a minor (:func:`minor_on`) and paused
    (:func:`paused_on`) on it. For the board, which judges one helper on many days."""

    __slots__ = ("_birth_date", "_busy_intervals", "_made", "_paused_until", "_profile")

    def __init__(self, profile: HelperProfile, busy_intervals: tuple[tuple[datetime, datetime], ...] = ()) -> None:
        self._profile = profile
        self._birth_date = profile.birth_date
        self._paused_until = profile.paused_until
        self._busy_intervals = busy_intervals
        self._made: dict[tuple[bool, bool], HelperCandidate] = {}

    def on(self, day: date) -> HelperCandidate:
        key = (minor_on(self._birth_date, day), paused_on(self._paused_until, day))
        candidate = self._made.get(key)
        if candidate is None:
            like = next(iter(self._made.values()), None)  # its sets are taken as they are
            candidate = candidate_from_profile(self._profile, on=day, busy_intervals=self._busy_intervals, like=like)
            self._made[key] = candidate
        return candidate

    def through(self, first: date, last: date) -> HelperCandidate | None:
        """The candidate of every day from ``first`` to ``last`` when it is one and the same
        (:meth:`on` gives the same for both), else None. Being a minor and being paused can only
        end as the days go on, never begin again, so what the first and the last day agree on
        holds for every day between them."""
        candidate = self.on(first)
        return candidate if first == last or self.on(last) is candidate else None


def availability_set(slots: Iterable) -> frozenset[tuple[int, str]]:
    """Weekly availability (``[weekday, part of day]`` pairs) as the matcher's set."""
    if isinstance(slots, frozenset):
        return slots
    return frozenset((int(d), str(p)) for d, p in slots)


def busy_intervals_for(
    helper_id: int, starts_at: datetime, ends_at: datetime, *, exclude_errand_id: int | None = None
) -> tuple[tuple[datetime, datetime], ...]:
    """The helper's active assignments that overlap ``[starts_at, ends_at)`` (one query)."""
    stmt = (
        sa.select(Errand.starts_at, Errand.ends_at)
        .join(Assignment, Assignment.errand_id == Errand.id)
        .where(
            Assignment.helper_id == helper_id,
            Assignment.status.in_(BUSY_STATUSES),
            Errand.starts_at < ends_at,
            Errand.ends_at > starts_at,
        )
    )
    if exclude_errand_id is not None:
        stmt = stmt.where(Errand.id != exclude_errand_id)
    return tuple((s, e) for s, e in db.session.execute(stmt))


def evaluate_helper(errand: Errand, profile: HelperProfile) -> Ranked | Excluded:
    """Score (or exclude) one helper for one errand, with their real busy intervals."""
    spec = spec_from_errand(errand)
    candidate = candidate_from_profile(
        profile,
        on=errand_local_date(errand),
        busy_intervals=busy_intervals_for(profile.id, errand.starts_at, errand.ends_at, exclude_errand_id=errand.id),
    )
    return evaluate(spec, candidate)


def exclusions_for(errand: Errand, profile: HelperProfile, *, ignore: Collection[str] = ()) -> tuple[Exclusion, ...]:
    """The hard rules that stop ``profile`` from taking ``errand`` (empty: eligible).

    ``ignore`` drops codes that do not apply in the situation, e.g. ``too_far``
    when a coordinator offered the errand to this helper on purpose.
    """
    result = evaluate_helper(errand, profile)
    if isinstance(result, Ranked):
        return ()
    return tuple(e for e in result.exclusions if e.code not in ignore)


def availability_refusals(errand: Errand, profiles: Iterable[HelperProfile]) -> dict[int, str]:
    """helper id -> why the availability rules keep them from being offered ``errand``
    (``unavailable``, ``exception``); those not in the result may be offered it. One
    statement (their days away on the errand's dates)."""
    profiles = list(profiles)
    if not profiles:
        return {}
    first = errand.starts_at.astimezone(HELSINKI).date()
    last = errand.ends_at.astimezone(HELSINKI).date()
    away: dict[int, list[tuple[date, date]]] = {}
    for helper_id, first_day, last_day in db.session.execute(
        sa.select(
            AvailabilityException.helper_id, AvailabilityException.first_day, AvailabilityException.last_day
        ).where(
            AvailabilityException.helper_id.in_([p.id for p in profiles]),
            AvailabilityException.first_day <= last,
            AvailabilityException.last_day >= first,
        )
    ):
        away.setdefault(helper_id, []).append((first_day, last_day))
    refused: dict[int, str] = {}
    for p in profiles:
        week = HelperWeek(availability=availability_set(p.availability or ()), exceptions=tuple(away.get(p.id, ())))
        why = unavailable_reason(week, errand.starts_at, errand.ends_at)
        if why is not None:
            refused[p.id] = why
    return refused
