"""Rank helpers for an errand, with the reason for each rank in plain words.

Pure and typed: standard library only, no Flask / SQLAlchemy / database.  The
caller loads the errand and the candidate helpers (typically after a bounding
box prefilter, see :mod:`app.matching.geo`) into :class:`ErrandSpec` and
:class:`HelperCandidate` and calls :func:`rank` (or :func:`evaluate` for one).

Hard rules exclude; everything else scores
------------------------------------------
A helper is **excluded** (returned as :class:`Excluded` with every rule that
failed, never silently dropped) when any of these holds:

``not_approved``        the coordinator has not approved the helper yet;
``paused``              the helper has paused themselves;
``suspended``           a coordinator has suspended the helper;
``no_guardian_consent`` the helper is a minor without guardian consent;
``minor_hours``         the helper is a minor and the errand window is not
                        entirely within 08:00-20:00 Europe/Helsinki on one
                        local date (DST handled by ``zoneinfo``);
``busy``                one of the helper's busy intervals overlaps the errand
                        window (half-open: back-to-back is fine);
``too_far``             great-circle distance from the helper's home area is
                        beyond the ``max_distance_km`` they set for how they
                        move.

Deliberately **not** hard rules (strong penalties instead, so the coordinator
still sees the person and can phone them):

* the task type is not among those the helper offered (``task_not_offered``);
* the helper marked none of the errand's parts of day as available
  (``availability_none``; partial overlap scores proportionally);
* the helper does not list the elder's language (``language_missing``);
* a location is unknown (``distance_unknown``): the distance cannot be checked
  against the helper's limit, so it is neither "too far" nor rewarded.  The
  helper sorts after everyone at a known distance with the same score.

Scoring
-------
The score is the sum of the ``points`` of the :class:`Reason` objects, each of
which is derived from :data:`WEIGHTS` (see the comments there).  Ties are broken
by distance (unknown last) and then ``helper_id``, so the order is
deterministic.  Reasons and exclusions are a ``code`` with ``params``; the
pages turn them into sentences in the reader's language
(:func:`app.errands.reasons.explain`).

Profile fit uses :data:`PROFILE_FIT`, a small table from the Arjen pelastajat
concept (``/work/shared/CONCEPT.md``).  Profiles are "not better and worse
customers, only different ones", so a fit is only a gentle nudge.
"""

from __future__ import annotations

import dataclasses
import functools
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from types import MappingProxyType
from typing import Final
from zoneinfo import ZoneInfo

from app import vocabulary

from .geo import EARTH_RADIUS_KM

__all__ = [
    "ELDER_PROFILE_NAMES",
    "EXCLUSION_CODES",
    "HELSINKI",
    "MINOR_HOURS",
    "PARTS_OF_DAY",
    "PART_OF_DAY_HOURS",
    "PROFILE_FIT",
    "REASON_CODES",
    "TASK_TYPES",
    "WEIGHTS",
    "YOUTH_PROFILE_NAMES",
    "ErrandRules",
    "ErrandSpec",
    "Excluded",
    "Exclusion",
    "HelperCandidate",
    "Ranked",
    "Reason",
    "errand_rules",
    "evaluate",
    "hard_rules",
    "hard_rules_each",
    "hard_rules_of",
    "minor_hours_ok",
    "new_candidate",
    "rank",
    "slots_for_window",
]

HELSINKI: Final = ZoneInfo("Europe/Helsinki")

#: Parts of day helpers can mark as available, as local (Helsinki) hours
#: ``[start, end)``.
PART_OF_DAY_HOURS: Final[Mapping[str, tuple[int, int]]] = MappingProxyType(
    {"morning": (8, 12), "afternoon": (12, 16), "evening": (16, 20)}
)
#: In the order of their bits in helper_profiles.availability_mask (app.vocabulary).
PARTS_OF_DAY: Final[tuple[str, ...]] = vocabulary.PARTS_OF_DAY
assert tuple(PART_OF_DAY_HOURS) == PARTS_OF_DAY

#: Minors may only help between these local (Helsinki) hours, inclusive ends.
MINOR_HOURS: Final[tuple[int, int]] = (8, 20)

TASK_TYPES: Final[frozenset[str]] = frozenset({"shopping", "post", "walk", "company", "errand", "outdoor", "digital"})

#: Weights and penalties, in points.  A typical good match scores ~100.
WEIGHTS: Final[Mapping[str, float]] = MappingProxyType(
    {
        # Known distance d (km): distance * HALF / (HALF + d), HALF = 2 km, so
        # 30 at the door, 15 at 2 km, 5 at 10 km.  The concept is help in one's
        # own neighbourhood, so absolute closeness counts, not only "within".
        "distance": 30.0,
        "distance_half_km": 2.0,
        # Either location missing: distance cannot be judged.
        "distance_unknown": -5.0,
        # Task type offered / not offered by the helper.
        "task": 20.0,
        "task_not_offered": -40.0,
        # availability * (covered parts of day / parts of day in the window);
        # no covered part at all gives the penalty instead.
        "availability": 25.0,
        "availability_none": -40.0,
        # Has helped this elder before: continuity * min(n, full_at) / full_at
        # * quality, quality = 0.5 + (feedback - 3) / 4 (0.5 .. 1.0), 0.75 when
        # no feedback; times prefers_factor when the elder prefers continuity.
        "continuity": 20.0,
        "continuity_full_at": 3.0,
        "continuity_prefers_factor": 2.0,
        # Mean feedback below poor_below with this elder: penalty instead.
        "continuity_poor": -30.0,
        "continuity_poor_below": 3.0,
        # Speaks / does not list the elder's language.
        "language": 10.0,
        "language_missing": -25.0,
        # Not always the same helper: fairness * (1 - min(recent, cap) / cap)
        # for errands in the last 30 days; 15 for someone with none yet.
        "fairness": 15.0,
        "fairness_cap": 6.0,
        # Elder and youth profiles that tend to suit each other (PROFILE_FIT).
        "profile": 8.0,
        # The elder (or coordinator on their behalf) asked for this helper.
        "preferred": 40.0,
    }
)

#: What coordinators read instead of points: the lowest score of each band, best first.
#: Below the last band a candidate is "possible" (:func:`strength`).
STRENGTH_BANDS: Final[tuple[tuple[str, float], ...]] = (("very_good", 70.0), ("good", 35.0))


def strength(points: float) -> str:
    """A score as a plain strength: ``very_good``, ``good`` or ``possible``."""
    for band, lowest in STRENGTH_BANDS:
        if points >= lowest:
            return band
    return "possible"


#: Elder profile -> youth profiles that tend to fit well (from CONCEPT.md).
#: A nudge only; every combination is allowed.
PROFILE_FIT: Final[Mapping[str, frozenset[str]]] = MappingProxyType(
    {
        # Community activist: sociable, active in associations, feels
        # responsible for others -> active, outward-looking youth
        # (tulevaisuususkoiset) and youth still looking for a role and
        # belonging (toivokkaat), whom such an elder can take along.
        "yhteisoaktiivi": frozenset({"tulevaisuususkoiset", "toivokkaat"}),
        # Everyday activist: basics matter, worried about staying healthy, no
        # e-services -> practical, routine-carried youth (arjen_pyorittajat) and
        # active youth for whom exercise is part of the day (walks).
        "arjen_aktivisti": frozenset({"arjen_pyorittajat", "tulevaisuususkoiset"}),
        # Home first: alone a lot, a few close people help, ambivalent about
        # accepting help -> youth who value personal service and continuity
        # (vahaan_tyytyvat) or rely on a few key people and routines
        # (arjen_pyorittajat): calm, steady, the same face again.
        "koti_kunniaan": frozenset({"vahaan_tyytyvat", "arjen_pyorittajat"}),
        # Home body: as above, values continuity and a calm pace.
        "kotoilija": frozenset({"vahaan_tyytyvat", "arjen_pyorittajat"}),
        # Routine-bound: youth whose own days run on routines.
        "rutinoitunut": frozenset({"arjen_pyorittajat", "vahaan_tyytyvat"}),
    }
)

#: Stable machine codes of :class:`Reason` (one sentence template each).
REASON_CODES: Final[tuple[str, ...]] = (
    "preferred",
    "distance",
    "distance_unknown",
    "task",
    "task_not_offered",
    "availability",
    "availability_partial",
    "availability_none",
    "availability_unknown",
    "continuity",
    "continuity_poor",
    "language",
    "language_missing",
    "fairness",
    "profile",
)

#: Stable machine codes of :class:`Exclusion` (hard rules), in check order.
EXCLUSION_CODES: Final[tuple[str, ...]] = (
    "not_approved",
    "paused",
    "suspended",
    "no_guardian_consent",
    "minor_hours",
    "busy",
    "too_far",
)

ELDER_PROFILE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "yhteisoaktiivi": "Yhteisöaktiivi",
        "arjen_aktivisti": "Arjen aktivisti",
        "koti_kunniaan": "Koti kunniaan",
        "kotoilija": "Kotoilija",
        "rutinoitunut": "Rutinoitunut",
    }
)
YOUTH_PROFILE_NAMES: Final[Mapping[str, str]] = MappingProxyType(
    {
        "vahaan_tyytyvat": "Vähään tyytyvät",
        "arjen_pyorittajat": "Arjen pyörittäjät",
        "tulevaisuususkoiset": "Tulevaisuususkoiset",
        "toivokkaat": "Toivokkaat",
    }
)

Params = tuple[tuple[str, object], ...]


# --------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------


def _check_aware(name: str, value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC), got {value!r}")


def _check_coords(lat: float | None, lon: float | None) -> None:
    if lat is None or lon is None:
        if (lat is None) != (lon is None):
            raise ValueError("lat and lon must both be set or both be None")
        return
    if not -90.0 <= lat <= 90.0 or not math.isfinite(lon):
        raise ValueError(f"invalid coordinates ({lat!r}, {lon!r})")


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrandSpec:
    """The errand to be matched.  Times are tz-aware (UTC)."""

    errand_id: int
    elder_id: int
    task_type: str
    lat: float | None
    lon: float | None
    starts_at: datetime
    ends_at: datetime
    language: str = "fi"
    elder_profile: str | None = None
    prefers_continuity: bool = False
    preferred_helper_id: int | None = None

    def __post_init__(self) -> None:
        _check_aware("starts_at", self.starts_at)
        _check_aware("ends_at", self.ends_at)
        if self.ends_at <= self.starts_at:
            raise ValueError("ends_at must be after starts_at")
        _check_coords(self.lat, self.lon)
        if self.elder_profile is not None and self.elder_profile not in vocabulary.ELDER_PROFILES:
            raise ValueError(f"unknown elder_profile {self.elder_profile!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class HelperCandidate:
    """One helper as seen by the matcher.

    ``availability`` holds ``(weekday, part)`` pairs, weekday 0 = Monday,
    part one of :data:`PARTS_OF_DAY`.  ``busy_intervals`` are tz-aware
    ``(start, end)`` pairs.  ``recent_assignments`` counts the helper's
    errands in the last 30 days.  ``travel_mode`` (e.g. "walk", "bike",
    "bus", "car") only feeds the explanation text.
    """

    helper_id: int
    lat: float | None
    lon: float | None
    max_distance_km: float
    is_approved: bool
    is_paused: bool
    is_suspended: bool
    is_minor: bool
    has_guardian_consent: bool
    task_types: frozenset[str] = frozenset()
    availability: frozenset[tuple[int, str]] = frozenset()
    languages: frozenset[str] = frozenset({"fi"})
    busy_intervals: tuple[tuple[datetime, datetime], ...] = ()
    youth_profile: str | None = None
    past_errands_with_elder: int = 0
    past_feedback_with_elder: float | None = None
    recent_assignments: int = 0
    travel_mode: str | None = None

    def __post_init__(self) -> None:
        _check_coords(self.lat, self.lon)
        if not self.max_distance_km >= 0:  # also rejects NaN
            raise ValueError("max_distance_km must be >= 0")
        if self.youth_profile is not None and self.youth_profile not in vocabulary.YOUTH_PROFILES:
            raise ValueError(f"unknown youth_profile {self.youth_profile!r}")
        fb = self.past_feedback_with_elder
        if fb is not None and not 1.0 <= fb <= 5.0:
            raise ValueError("past_feedback_with_elder must be within 1..5")


def _fast_builder(cls: type, *, in_field_order: bool = False) -> type:
    """A class with ``cls``'s slots (a frozen slotted dataclass) whose ``__init__`` takes the
    same fields and defaults (keyword-only where ``cls``'s are, unless ``in_field_order``: then
    also positionally, in the fields' order), stores them with plain
    attribute stores, then makes the instance a ``cls`` (frozen from then on) and runs
    ``cls.__post_init__`` when it has one.
    A frozen dataclass stores each field through ``object.__setattr__`` by name: building
    a HelperCandidate this way takes ~45 % of the instructions (callgrind), and a ranking
    builds about a hundred of them, and as many results and reasons (bench/README.md)."""
    fields = dataclasses.fields(cls)
    defaults = {f"_d_{f.name}": f.default for f in fields if f.default is not dataclasses.MISSING}
    params = ", ".join(f"{f.name}=_d_{f.name}" if f"_d_{f.name}" in defaults else f.name for f in fields)
    keyword_only = "*, " if all(f.kw_only for f in fields) and not in_field_order else ""
    body = "".join(f"\n    self.{f.name} = {f.name}" for f in fields)
    check = "\n    self.__post_init__()" if hasattr(cls, "__post_init__") else ""
    source = f"def __init__(self, {keyword_only}{params}):{body}\n    self.__class__ = _cls{check}"
    namespace: dict = {}
    exec(source, {**defaults, "_cls": cls}, namespace)  # noqa: S102 - the dataclass's own field names
    return type(f"_New{cls.__name__}", (), {"__slots__": cls.__slots__, "__init__": namespace["__init__"]})


#: ``new_candidate(**fields)`` is ``HelperCandidate(**fields)``, built faster (:func:`_fast_builder`):
#: the same checks, an equal, frozen ``HelperCandidate``.
#: It also takes the fields positionally, in their order: a call with 18 keywords costs ~2 µs
#: more, and a ranking makes about a hundred (bench/README.md).
new_candidate: Callable[..., HelperCandidate] = _fast_builder(HelperCandidate, in_field_order=True)


@dataclass(frozen=True, slots=True)
class Reason:
    """One scored factor.  ``params`` are ``(key, value)`` pairs (hashable)."""

    code: str
    points: float
    params: Params = ()

    def get(self, key: str, default: object = None) -> object:
        for k, v in self.params:
            if k == key:
                return v
        return default

    def as_dict(self) -> dict[str, object]:
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class Exclusion:
    """One failed hard rule.  ``code`` is one of :data:`EXCLUSION_CODES`."""

    code: str
    params: Params = ()

    def get(self, key: str, default: object = None) -> object:
        for k, v in self.params:
            if k == key:
                return v
        return default

    def as_dict(self) -> dict[str, object]:
        return dict(self.params)


@dataclass(frozen=True, slots=True)
class Ranked:
    helper_id: int
    score: float
    distance_km: float | None
    reasons: tuple[Reason, ...]


@dataclass(frozen=True, slots=True)
class Excluded:
    helper_id: int
    exclusions: tuple[Exclusion, ...]
    distance_km: float | None = None

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(e.code for e in self.exclusions)


# A ranking's results and their parts, built as new_candidate is (:func:`_fast_builder`):
# equal, frozen objects of these classes, about a hundred of each per ranking.
_new_reason: Callable[..., Reason] = _fast_builder(Reason)
_new_exclusion: Callable[..., Exclusion] = _fast_builder(Exclusion)
_new_ranked: Callable[..., Ranked] = _fast_builder(Ranked)
_new_excluded: Callable[..., Excluded] = _fast_builder(Excluded)


# --------------------------------------------------------------------------
# Time helpers
# --------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def slots_for_window(starts_at: datetime, ends_at: datetime) -> frozenset[tuple[int, str]]:
    """``(weekday, part)`` slots the window overlaps, in Europe/Helsinki time.

    A slot counts when the window overlaps it for a positive duration
    (``[start, end)`` on both sides).  Hours outside all parts of day (before
    08 or after 20 local) map to no slot. Kept for the last windows asked (a
    ranking asks twice: its statement's bits and the score; equal instants give
    equal slots whatever their time zone, and a bad window raises every time).
    """
    _check_aware("starts_at", starts_at)
    _check_aware("ends_at", ends_at)
    if ends_at <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    day = starts_at.astimezone(HELSINKI).date()
    last = ends_at.astimezone(HELSINKI).date()
    out: set[tuple[int, str]] = set()
    while day <= last and len(out) < 7 * len(PARTS_OF_DAY):
        wd = day.weekday()
        for part, (h0, h1) in PART_OF_DAY_HOURS.items():
            p0 = datetime(day.year, day.month, day.day, h0, tzinfo=HELSINKI)
            p1 = datetime(day.year, day.month, day.day, h1, tzinfo=HELSINKI)
            # Aware datetimes with different tzinfo compare as instants.
            if p0 < ends_at and p1 > starts_at:
                out.add((wd, part))
        day += timedelta(days=1)
    return frozenset(out)


def minor_hours_ok(starts_at: datetime, ends_at: datetime) -> bool:
    """True when the whole window lies within 08:00-20:00 Helsinki on one date."""
    _check_aware("starts_at", starts_at)
    _check_aware("ends_at", ends_at)
    s = starts_at.astimezone(HELSINKI)
    e = ends_at.astimezone(HELSINKI)
    d: date = s.date()
    if e.date() != d:
        return False
    h0, h1 = MINOR_HOURS
    # Wall-clock comparison on the local date; 08 and 20 are never in a DST gap.
    return time(h0) <= s.time() and e.time() <= time(h1)


# --------------------------------------------------------------------------
# Evaluation
# --------------------------------------------------------------------------

_W = WEIGHTS
_DIST_W = _W["distance"]
_DIST_HALF = _W["distance_half_km"]
_CONT_W = _W["continuity"]
_CONT_FULL = _W["continuity_full_at"]
_CONT_POOR_BELOW = _W["continuity_poor_below"]
_FAIR_W = _W["fairness"]
_FAIR_CAP = _W["fairness_cap"]
_TWO_R = 2.0 * EARTH_RADIUS_KM
_DEG = math.pi / 180.0
_INF = math.inf
# Slack for "beyond their own max distance" so a point exactly on the limit
# is never excluded by rounding.
_DIST_EPS = 1e-9

_EXCL_NOT_APPROVED = Exclusion("not_approved")
_EXCL_PAUSED = Exclusion("paused")
_EXCL_SUSPENDED = Exclusion("suspended")
_EXCL_NO_CONSENT = Exclusion("no_guardian_consent")


class _Rules:
    """Errand-level values the hard rules need (the errand's window and place).

    The minors' hours rule is worked out on first use: most helpers are adults.
    """

    __slots__ = ("_minor_ok", "cos_lat", "ends_at", "has_loc", "lat_r", "lon_r", "starts_at")

    def __init__(self, errand: ErrandSpec) -> None:
        self.starts_at = errand.starts_at
        self.ends_at = errand.ends_at
        self.has_loc = errand.lat is not None
        if errand.lat is not None and errand.lon is not None:
            self.lat_r = errand.lat * _DEG
            self.lon_r = errand.lon * _DEG
            self.cos_lat = math.cos(self.lat_r)
        else:
            self.lat_r = self.lon_r = self.cos_lat = 0.0
        self._minor_ok: bool | None = None

    @property
    def minor_ok(self) -> bool:
        if self._minor_ok is None:
            self._minor_ok = minor_hours_ok(self.starts_at, self.ends_at)
        return self._minor_ok

    @property
    def excl_minor_hours(self) -> Exclusion:
        # The errand's window as it is (aware times, as a busy exclusion's): the reader's page words it.
        return Exclusion("minor_hours", (("start", self.starts_at), ("end", self.ends_at)))


class _Context(_Rules):
    """Errand-level values computed once per :func:`rank` call.

    Reasons whose value depends only on small discrete inputs are built once
    and shared (they are immutable), which keeps per-candidate allocation to
    the distance reason, the reasons tuple and the result object.
    """

    __slots__ = (
        "avail_cache",
        "elder_profile",
        "errand",
        "fair_cache",
        "fit",
        "language",
        "n_slots",
        "preferred_id",
        "prefers",
        "profile_cache",
        "r_avail_unknown",
        "r_lang",
        "r_lang_missing",
        "r_preferred",
        "r_task",
        "r_task_missing",
        "r_unknown_errand",
        "r_unknown_helper",
        "slots",
        "task_type",
    )

    def __init__(self, errand: ErrandSpec) -> None:
        super().__init__(errand)
        self.errand = errand
        self.slots = tuple(sorted(slots_for_window(errand.starts_at, errand.ends_at)))
        self.n_slots = len(self.slots)
        self.task_type = errand.task_type
        self.language = errand.language
        self.preferred_id = errand.preferred_helper_id
        self.elder_profile = errand.elder_profile
        self.fit = PROFILE_FIT.get(errand.elder_profile or "", frozenset())
        self.prefers = errand.prefers_continuity
        task_p: Params = (("task_type", errand.task_type),)
        self.r_task = Reason("task", _W["task"], task_p)
        self.r_task_missing = Reason("task_not_offered", _W["task_not_offered"], task_p)
        lang_p: Params = (("language", errand.language),)
        self.r_lang = Reason("language", _W["language"], lang_p)
        self.r_lang_missing = Reason("language_missing", _W["language_missing"], lang_p)
        self.r_preferred = Reason("preferred", _W["preferred"])
        self.r_unknown_errand = Reason("distance_unknown", _W["distance_unknown"], (("missing", "errand"),))
        self.r_unknown_helper = Reason("distance_unknown", _W["distance_unknown"], (("missing", "helper"),))
        self.r_avail_unknown = Reason("availability_unknown", 0.0)
        self.avail_cache: dict[int, Reason] = {}
        self.fair_cache: dict[int, Reason] = {}
        self.profile_cache: dict[str, Reason] = {}

    def availability_reason(self, covered: int) -> Reason:
        r = self.avail_cache.get(covered)
        if r is None:
            n = self.n_slots
            p: Params = (("covered", covered), ("total", n))
            if covered == 0:
                r = Reason("availability_none", _W["availability_none"], p)
            elif covered == n:
                r = Reason("availability", _W["availability"], p)
            else:
                r = Reason("availability_partial", _W["availability"] * covered / n, p)
            self.avail_cache[covered] = r
        return r

    def fairness_reason(self, recent: int) -> Reason:
        r = self.fair_cache.get(recent)
        if r is None:
            frac = min(max(recent, 0), _FAIR_CAP) / _FAIR_CAP
            r = Reason("fairness", _FAIR_W * (1.0 - frac), (("recent", recent),))
            self.fair_cache[recent] = r
        return r

    def profile_reason(self, youth_profile: str) -> Reason:
        r = self.profile_cache.get(youth_profile)
        if r is None:
            r = Reason(
                "profile",
                _W["profile"],
                (
                    ("elder_profile", self.elder_profile),
                    ("youth_profile", youth_profile),
                ),
            )
            self.profile_cache[youth_profile] = r
        return r


def _continuity_reason(ctx: _Context, n: int, feedback: float | None) -> Reason:
    p: Params = (("errands", n), ("feedback", feedback), ("prefers", ctx.prefers))
    if feedback is not None and feedback < _CONT_POOR_BELOW:
        return Reason("continuity_poor", _W["continuity_poor"], p)
    quality = 0.75 if feedback is None else 0.5 + (feedback - 3.0) / 4.0
    pts = _CONT_W * (min(n, _CONT_FULL) / _CONT_FULL) * quality
    if ctx.prefers:
        pts *= _W["continuity_prefers_factor"]
    return Reason("continuity", pts, p)


def _distance(ctx: _Rules, h: HelperCandidate) -> float | None:
    """Great-circle km from the helper's home area to the errand (None: a place is unknown)."""
    hlat = h.lat
    if ctx.has_loc and hlat is not None and h.lon is not None:
        p2 = hlat * _DEG
        sdlat = math.sin((p2 - ctx.lat_r) * 0.5)
        sdlon = math.sin((h.lon * _DEG - ctx.lon_r) * 0.5)
        a = sdlat * sdlat + ctx.cos_lat * math.cos(p2) * sdlon * sdlon
        return _TWO_R * math.asin(math.sqrt(a) if a < 1.0 else 1.0)
    return None


def _evaluate(ctx: _Context, h: HelperCandidate) -> Ranked | Excluded:
    # ---- distance (needed by both the hard rule and the score) ----------
    dist = _distance(ctx, h)

    # ---- hard rules (_failed_rules is asked unless it can only answer "none")
    if not (_fails_only_by_distance(h) and (dist is None or dist <= _reach(h))):
        excl = _failed_rules(ctx, h, dist)
        if excl:
            return _new_excluded(h.helper_id, excl, dist)

    # ---- soft factors ------------------------------------------------------
    reasons: list[Reason] = []
    append = reasons.append
    if ctx.preferred_id is not None and ctx.preferred_id == h.helper_id:
        append(ctx.r_preferred)
    if dist is not None:
        append(
            _new_reason(
                "distance",
                _DIST_W * _DIST_HALF / (_DIST_HALF + dist),
                (
                    ("distance_km", dist),
                    ("max_km", h.max_distance_km),
                    ("travel_mode", h.travel_mode),
                ),
            )
        )
    else:
        append(ctx.r_unknown_errand if not ctx.has_loc else ctx.r_unknown_helper)
    append(ctx.r_task if ctx.task_type in h.task_types else ctx.r_task_missing)
    if ctx.n_slots:
        avail = h.availability
        covered = 0
        for s in ctx.slots:
            if s in avail:
                covered += 1
        append(ctx.availability_reason(covered))
    else:
        append(ctx.r_avail_unknown)
    n_past = h.past_errands_with_elder
    if n_past > 0:
        append(_continuity_reason(ctx, n_past, h.past_feedback_with_elder))
    append(ctx.r_lang if ctx.language in h.languages else ctx.r_lang_missing)
    append(ctx.fairness_reason(h.recent_assignments))
    yp = h.youth_profile
    if yp is not None and yp in ctx.fit:
        append(ctx.profile_reason(yp))

    score = 0.0
    for r in reasons:
        score += r.points
    return _new_ranked(h.helper_id, round(score, 6), dist, tuple(reasons))


def _fails_only_by_distance(h: HelperCandidate) -> bool:
    """An approved adult who is neither paused, suspended nor busy: of :func:`_failed_rules`,
    only "too far" (beyond :func:`_reach`) can exclude them. The shortcut of :func:`_evaluate`,
    :func:`hard_rules_each` and :func:`passing_each`."""
    return h.is_approved and not h.is_paused and not h.is_suspended and not h.is_minor and not h.busy_intervals


def _reach(h: HelperCandidate) -> float:
    """Beyond this many km the helper is too far (:func:`_failed_rules`)."""
    return h.max_distance_km + _DIST_EPS


def _failed_rules(ctx: _Rules, h: HelperCandidate, dist: float | None) -> tuple[Exclusion, ...]:
    """The hard rules, written once: every rule the helper fails, in
    :data:`EXCLUSION_CODES` order (empty: they may take the errand). Both
    :func:`rank` / :func:`evaluate` and :func:`hard_rules` ask this."""
    failed: list[Exclusion] = []
    if not h.is_approved:
        failed.append(_EXCL_NOT_APPROVED)
    if h.is_paused:
        failed.append(_EXCL_PAUSED)
    if h.is_suspended:
        failed.append(_EXCL_SUSPENDED)
    if h.is_minor:
        if not h.has_guardian_consent:
            failed.append(_EXCL_NO_CONSENT)
        if not ctx.minor_ok:
            failed.append(ctx.excl_minor_hours)
    s, e = ctx.starts_at, ctx.ends_at
    for b0, b1 in h.busy_intervals:  # half-open: back-to-back is fine
        if b0 < e and b1 > s:
            failed.append(_new_exclusion("busy", (("start", b0), ("end", b1))))
            break
    if dist is not None and dist > _reach(h):
        failed.append(
            _new_exclusion(
                "too_far",
                (
                    ("distance_km", dist),
                    ("max_km", h.max_distance_km),
                    ("travel_mode", h.travel_mode),
                ),
            )
        )
    return tuple(failed)


def evaluate(errand: ErrandSpec, helper: HelperCandidate, *, now: datetime | None = None) -> Ranked | Excluded:
    """Score one helper for one errand, or say which hard rules exclude them.

    ``now`` is accepted for API stability and ignored: the result depends only
    on the inputs (``recent_assignments`` and ``busy_intervals`` are computed
    by the caller), which keeps it reproducible in tests.
    """
    del now
    return _evaluate(_Context(errand), helper)


#: The errand's part of the hard rules (its window and place), worked out once
#: (:func:`errand_rules`) for an errand judged for many helpers or many times.
ErrandRules = _Rules


def errand_rules(errand: ErrandSpec) -> ErrandRules:
    """``errand``'s part of the hard rules, for :func:`hard_rules_of`: to keep with an
    errand that is judged again and again (the board's kept errands)."""
    return _Rules(errand)


def hard_rules(errand: ErrandSpec, helper: HelperCandidate) -> tuple[tuple[Exclusion, ...], float | None]:
    """Only the hard rules and the distance: the failed rules (empty: the helper
    may take the errand) and the km, exactly as :func:`evaluate` finds them,
    without working out the score. For lists that show no scores, such as the
    helper's own board, where one helper is checked against many errands."""
    return hard_rules_of(_Rules(errand), helper)


def hard_rules_of(rules: ErrandRules, helper: HelperCandidate) -> tuple[tuple[Exclusion, ...], float | None]:
    """:func:`hard_rules` with the errand's part worked out already (:func:`errand_rules`)."""
    dist = _distance(rules, helper)
    return _failed_rules(rules, helper, dist), dist


def hard_rules_each(
    rules: Iterable[ErrandRules], helper: HelperCandidate
) -> list[tuple[tuple[Exclusion, ...], float | None]]:
    """``[hard_rules_of(r, helper) for r in rules]``, the same values, with the helper's part
    worked out once: for one helper judged against many errands (the board's kept errands).
    The rules are still :func:`_failed_rules`'s: it is asked for every errand, except where it
    can only answer "none" (an approved adult who is neither paused, suspended nor busy, within
    their distance or with no distance)."""
    hlat, hlon = helper.lat, helper.lon
    located = hlat is not None and hlon is not None
    p2 = hlat * _DEG if located else 0.0
    l2 = hlon * _DEG if located else 0.0
    cos_p2 = math.cos(p2)
    reach = _reach(helper)
    only_distance = _fails_only_by_distance(helper)
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    out: list[tuple[tuple[Exclusion, ...], float | None]] = []
    append = out.append
    none: tuple[Exclusion, ...] = ()
    for ctx in rules:
        if located and ctx.has_loc:  # _distance, written out (the same operations, the same km)
            sdlat = sin((p2 - ctx.lat_r) * 0.5)
            sdlon = sin((l2 - ctx.lon_r) * 0.5)
            a = sdlat * sdlat + ctx.cos_lat * cos_p2 * sdlon * sdlon
            dist: float | None = _TWO_R * asin(sqrt(a) if a < 1.0 else 1.0)
            if only_distance and dist <= reach:
                append((none, dist))
                continue
        else:
            dist = None
            if only_distance:
                append((none, None))
                continue
        append((_failed_rules(ctx, helper, dist), dist))
    return out


def passing_each(
    rules: Sequence[ErrandRules], indices: Iterable[int], helper: HelperCandidate
) -> list[tuple[bool, float, int]] | None:
    """For a helper who can fail the hard rules only by distance (an approved adult, neither
    paused, suspended nor busy; None for any other helper: ask :func:`hard_rules_each`), the
    errands of ``indices`` (into ``rules``) they pass the hard rules for, in order, each as
    ``(False, distance, i)``, or ``(True, 0.0, i)`` where there is no distance (None): the
    ``i`` of ``indices`` where ``hard_rules_of(rules[i], helper)`` has no failed rule, with
    :func:`hard_rules_each`'s distance, without a tuple of failed rules for every errand (the
    board's kept errands, about two hundred a page, most of which pass)."""
    if not _fails_only_by_distance(helper):
        return None
    passed: list[tuple[bool, float, int]] = []
    append = passed.append
    hlat, hlon = helper.lat, helper.lon
    if hlat is None or hlon is None:  # no distance to any errand: they pass every one
        return [(True, 0.0, i) for i in indices]
    p2, l2 = hlat * _DEG, hlon * _DEG
    cos_p2 = math.cos(p2)
    reach = _reach(helper)  # too far only beyond it (a NaN distance passes, as in _failed_rules)
    sin, asin, sqrt = math.sin, math.asin, math.sqrt
    for i in indices:
        ctx = rules[i]
        if ctx.has_loc:  # _distance, written out as in hard_rules_each (the same km to the bit)
            sdlat = sin((p2 - ctx.lat_r) * 0.5)
            sdlon = sin((l2 - ctx.lon_r) * 0.5)
            a = sdlat * sdlat + ctx.cos_lat * cos_p2 * sdlon * sdlon
            dist = _TWO_R * asin(sqrt(a) if a < 1.0 else 1.0)
            if dist > reach:
                continue
            append((False, dist, i))
        else:
            append((True, 0.0, i))
    return passed


def _sort_key(r: Ranked) -> tuple[float, float, int]:
    d = r.distance_km
    return (-r.score, _INF if d is None else d, r.helper_id)


def rank(
    errand: ErrandSpec, helpers: Iterable[HelperCandidate], *, limit: int | None = None
) -> tuple[list[Ranked], list[Excluded]]:
    """Rank ``helpers`` for ``errand``.

    Returns ``(ranked, excluded)``: ``ranked`` by score descending, ties by
    distance (unknown last) then ``helper_id``, truncated to ``limit`` if given;
    ``excluded`` (never truncated) by ``helper_id``.
    """
    if limit is not None and limit < 0:
        raise ValueError("limit must be >= 0")
    ctx = _Context(errand)
    ranked: list[Ranked] = []
    excluded: list[Excluded] = []
    for h in helpers:
        res = _evaluate(ctx, h)
        if type(res) is Ranked:
            ranked.append(res)
        else:
            excluded.append(res)  # type: ignore[arg-type]
    ranked.sort(key=_sort_key)
    if limit is not None:
        del ranked[limit:]
    excluded.sort(key=lambda x: x.helper_id)
    return ranked, excluded
