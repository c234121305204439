"""The three stages of community building, worked out from logged encounters.

How the stage is decided (plain words, also used in the README):

- Stages are worked out from the encounters that have already taken place,
  separately for each pair (one young helper and one older resident), for each
  person, and counted together for each village or municipality. Planned
  encounters that have not happened yet do not count. A pair counts only the
  encounters where both of them took part; a person counts all of theirs.
- **Stage 0, no encounters yet:** nothing has happened yet.
- **Stage 1, Easy encounters (Helppoja kohtaamisia):** at least one encounter
  has taken place, for example help at home or a walk together.
- **Stage 2, Shared spaces and doing together (Yhteisiä tiloja ja
  tekemistä):** in the last 180 days there were at least 2 encounters that
  took place in a shared space (such as a village hall or a library), or were
  a shared activity or a community event. Help at home and walks count here
  only when they happen in a shared space.
- **Stage 3, Communal operating models (Yhteisöllisiä toimintamalleja):**
  stage 2 is met, and in the same 180 days
  - at least 3 encounters were started by the participants themselves (a
    young person, an older person, or both together; not the coordinator),
    and
  - at least 1 encounter shows that the participants carry the activity: an
    older person led it, or young and old led it together (roles go both
    ways), or a young or older participant organised it for others.
- "The last 180 days" counts back from today and includes an encounter exactly
  180 days ago. Stages 2 and 3 can drop back when meetings stop; stage 1 stays
  once reached.
- Every stage is shown with the encounters that count for it and with what is
  still missing for the next stage.
- A coordinator can set a different stage with a written reason. The page then
  shows the coordinator's stage and reason next to the computed stage.

The module is pure: standard library only, no database, no Flask. Reason and
next-step codes are stable; `RULE_TEXT` holds one plain-English sentence per
code (wrap them for translation at the edge).
"""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from operator import attrgetter
from typing import Final, Literal

# --- Rule constants -------------------------------------------------------

LOOKBACK_DAYS: Final = 180
"""Stages 2 and 3 only look at encounters from this many days back."""

STAGE2_MIN_TOGETHER: Final = 2
"""Encounters in a shared space / shared activity / community event."""

STAGE3_MIN_SELF_INITIATED: Final = 3
"""Encounters started by the participants themselves (not a coordinator)."""

STAGE3_MIN_OWNERSHIP: Final = 1
"""Encounters led by an elder or together, or organised for others."""

STAGES: Final = (0, 1, 2, 3)
MAX_STAGE: Final = 3

STAGE_NAMES: Final[Mapping[int, str]] = {
    0: "No encounters yet",
    1: "Easy encounters",
    2: "Shared spaces and doing together",
    3: "Communal operating models",
}
STAGE_NAMES_FI: Final[Mapping[int, str]] = {
    0: "Ei vielä kohtaamisia",
    1: "Helppoja kohtaamisia",
    2: "Yhteisiä tiloja ja tekemistä",
    3: "Yhteisöllisiä toimintamalleja",
}

# --- Allowed values of an encounter --------------------------------------

Kind = Literal["home_help", "company_walk", "shared_activity", "community_event"]
PlaceKind = Literal["home", "shared_space", "outdoors"]
Initiator = Literal["coordinator", "helper", "elder", "participants"]
Leader = Literal["coordinator", "helper", "elder", "together"]
PersonKind = Literal["helper", "elder"]

KINDS: Final = frozenset({"home_help", "company_walk", "shared_activity", "community_event"})
PLACE_KINDS: Final = frozenset({"home", "shared_space", "outdoors"})
INITIATORS: Final = frozenset({"coordinator", "helper", "elder", "participants"})
LEADERS: Final = frozenset({"coordinator", "helper", "elder", "together"})
PERSON_KINDS: Final = frozenset({"helper", "elder"})

TOGETHER_KINDS: Final = frozenset({"shared_activity", "community_event"})
"""Kinds of encounter that count as doing things together (stage 2)."""
TOGETHER_PLACES: Final = frozenset({"shared_space"})
"""Places that count as a shared space (stage 2), whatever the kind."""
SELF_INITIATORS: Final = frozenset({"helper", "elder", "participants"})
"""Who may start an encounter for it to count as self-initiated (stage 3)."""
BOTH_WAYS_LEADERS: Final = frozenset({"elder", "together"})
"""Who leads an encounter where roles go both ways (stage 3)."""

FEEDBACK_MIN: Final = 1
FEEDBACK_MAX: Final = 5

# --- Codes ----------------------------------------------------------------

REASON_NO_ENCOUNTERS: Final = "no_encounters"
REASON_MET: Final = "met_at_least_once"
REASON_TOGETHER: Final = "met_together_in_shared_settings"
REASON_SELF_INITIATED: Final = "self_initiated_repeatedly"
REASON_ROLES_BOTH_WAYS: Final = "roles_both_ways"
REASON_ORGANISED: Final = "organised_for_others"
REASON_OVERRIDE: Final = "coordinator_override"

NEXT_FIRST_ENCOUNTER: Final = "next_first_encounter"
NEXT_MEET_TOGETHER: Final = "next_meet_together"
NEXT_SELF_INITIATED: Final = "next_self_initiated"
NEXT_OWNERSHIP: Final = "next_roles_both_ways_or_organising"

RULE_TEXT: Final[Mapping[str, str]] = {
    REASON_NO_ENCOUNTERS: "No encounters have taken place yet.",
    REASON_MET: "At least one encounter has taken place.",
    REASON_TOGETHER: (
        f"In the last {LOOKBACK_DAYS} days there were at least {STAGE2_MIN_TOGETHER} "
        "encounters in a shared space, in a shared activity or at a community event."
    ),
    REASON_SELF_INITIATED: (
        f"In the last {LOOKBACK_DAYS} days the participants themselves started at least "
        f"{STAGE3_MIN_SELF_INITIATED} encounters."
    ),
    REASON_ROLES_BOTH_WAYS: (
        f"In the last {LOOKBACK_DAYS} days an older person led an encounter, or young and "
        "old led it together: roles go both ways."
    ),
    REASON_ORGANISED: f"In the last {LOOKBACK_DAYS} days a participant organised an encounter for others.",
    REASON_OVERRIDE: "A coordinator set this stage and gave a reason.",
    NEXT_FIRST_ENCOUNTER: "Have a first encounter, for example help at home or a walk.",
    NEXT_MEET_TOGETHER: (
        f"Meet at least {STAGE2_MIN_TOGETHER} times within {LOOKBACK_DAYS} days in a "
        "shared space, in a shared activity or at a community event."
    ),
    NEXT_SELF_INITIATED: (
        f"Start at least {STAGE3_MIN_SELF_INITIATED} encounters yourselves within "
        f"{LOOKBACK_DAYS} days, without the coordinator arranging them."
    ),
    NEXT_OWNERSHIP: (
        f"Within {LOOKBACK_DAYS} days, let an older person lead an encounter (or lead one "
        "together), or organise something for others."
    ),
}


def describe(code: str) -> str:
    """Plain-English sentence for a reason or next-step code."""
    try:
        return RULE_TEXT[code]
    except KeyError:
        raise KeyError(f"unknown stage rule code: {code!r}") from None


# --- Data -------------------------------------------------------------------


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware (UTC)")


def _id_set(values: Iterable[int], name: str) -> frozenset[int]:
    ids = values if isinstance(values, frozenset) else frozenset(values)
    for value in ids:
        if not isinstance(value, int) or isinstance(value, bool):
            raise TypeError(f"{name} must contain integer ids")
    if not ids:
        raise ValueError(f"{name} must not be empty: every encounter has young and old")
    return ids


@dataclass(frozen=True, slots=True)
class EncounterFact:
    """One encounter that took place, reduced to what the stage rules need.

    Every encounter has at least one young helper and at least one older
    resident. ``organised_by_participant`` means a helper or an elder
    organised it for others. ``feedback_scores`` (1-5) are carried along for
    pages and reports; they do not affect the stage.
    """

    encounter_id: int
    occurred_at: datetime
    kind: Kind
    place_kind: PlaceKind
    initiated_by: Initiator
    led_by: Leader
    helper_ids: frozenset[int]
    elder_ids: frozenset[int]
    organised_by_participant: bool = False
    feedback_scores: tuple[int, ...] = ()

    def __post_init__(self) -> None:
        if not isinstance(self.encounter_id, int) or isinstance(self.encounter_id, bool):
            raise TypeError("encounter_id must be an int")
        _require_aware(self.occurred_at, "occurred_at")
        if self.occurred_at.tzinfo is not UTC:
            object.__setattr__(self, "occurred_at", self.occurred_at.astimezone(UTC))
        if self.kind not in KINDS:
            raise ValueError(f"unknown encounter kind: {self.kind!r}")
        if self.place_kind not in PLACE_KINDS:
            raise ValueError(f"unknown place kind: {self.place_kind!r}")
        if self.initiated_by not in INITIATORS:
            raise ValueError(f"unknown initiator: {self.initiated_by!r}")
        if self.led_by not in LEADERS:
            raise ValueError(f"unknown leader: {self.led_by!r}")
        object.__setattr__(self, "helper_ids", _id_set(self.helper_ids, "helper_ids"))
        object.__setattr__(self, "elder_ids", _id_set(self.elder_ids, "elder_ids"))
        if not isinstance(self.organised_by_participant, bool):
            raise TypeError("organised_by_participant must be a bool")
        scores = tuple(self.feedback_scores)
        for score in scores:
            if not isinstance(score, int) or isinstance(score, bool):
                raise TypeError("feedback_scores must be integers")
            if not FEEDBACK_MIN <= score <= FEEDBACK_MAX:
                raise ValueError(f"feedback score out of range 1-5: {score}")
        object.__setattr__(self, "feedback_scores", scores)

    @property
    def is_together(self) -> bool:
        """Counts for stage 2: shared space, shared activity or community event."""
        return self.place_kind in TOGETHER_PLACES or self.kind in TOGETHER_KINDS

    @property
    def is_self_initiated(self) -> bool:
        """Counts for stage 3: started by the participants, not a coordinator."""
        return self.initiated_by in SELF_INITIATORS

    @property
    def is_roles_both_ways(self) -> bool:
        """Counts for stage 3: led by an elder, or by young and old together."""
        return self.led_by in BOTH_WAYS_LEADERS


@dataclass(frozen=True, slots=True)
class StageResult:
    """The stage of a pair or person, why, and what is missing for the next.

    ``evidence`` lists the encounter ids (oldest first) that count for the
    reached stage: every past encounter for stage 1; the shared encounters in
    the window for stage 2; every window encounter that meets a stage 2 or 3
    rule for stage 3. ``evidence_by_reason`` splits it per reason code.
    The ``*_count`` fields count past encounters (``encounter_count``) or
    encounters in the lookback window (the rest); ``ownership_count`` counts
    encounters that were led both ways or organised for others (or both).

    After ``apply_override``: ``stage`` is the coordinator's stage,
    ``computed_stage`` keeps the rule-based one, ``overridden`` is True and
    ``override_reason`` holds the reason.
    """

    stage: int
    reasons: tuple[str, ...]
    evidence: tuple[int, ...]
    next_steps: tuple[str, ...]
    evidence_by_reason: tuple[tuple[str, tuple[int, ...]], ...] = ()
    encounter_count: int = 0
    together_count: int = 0
    self_initiated_count: int = 0
    roles_both_ways_count: int = 0
    organised_count: int = 0
    ownership_count: int = 0
    overridden: bool = False
    override_reason: str | None = None
    computed_stage: int | None = None

    def __post_init__(self) -> None:
        _check_stage(self.stage, "stage")
        if self.computed_stage is None:
            object.__setattr__(self, "computed_stage", self.stage)
        else:
            _check_stage(self.computed_stage, "computed_stage")

    @property
    def name(self) -> str:
        return STAGE_NAMES[self.stage]

    @property
    def name_fi(self) -> str:
        return STAGE_NAMES_FI[self.stage]

    def evidence_for(self, code: str) -> tuple[int, ...]:
        """Encounter ids behind one reason code (empty if the reason is absent)."""
        for reason, ids in self.evidence_by_reason:
            if reason == code:
                return ids
        return ()


def _check_stage(stage: object, name: str) -> None:
    if not isinstance(stage, int) or isinstance(stage, bool) or stage not in STAGES:
        raise ValueError(f"{name} must be one of {STAGES}, got {stage!r}")


# --- Engine -----------------------------------------------------------------

_TOGETHER = 1
_SELF = 2
_BOTH_WAYS = 4
_ORGANISED = 8
_OWNERSHIP = _BOTH_WAYS | _ORGANISED
_by_time = attrgetter("occurred_at")
_by_id = attrgetter("encounter_id")
_helpers_of = attrgetter("helper_ids")
_elders_of = attrgetter("elder_ids")


def _flags(fact: EncounterFact) -> int:
    bits = 0
    if fact.place_kind in TOGETHER_PLACES or fact.kind in TOGETHER_KINDS:
        bits |= _TOGETHER
    if fact.initiated_by in SELF_INITIATORS:
        bits |= _SELF
    if fact.led_by in BOTH_WAYS_LEADERS:
        bits |= _BOTH_WAYS
    if fact.organised_by_participant:
        bits |= _ORGANISED
    return bits


@dataclass(slots=True)
class _Prepared:
    """Past encounters, deduplicated, with their time order worked out once.

    ``facts`` keeps the caller's order (walking it is cache-friendly);
    positions in time order (oldest first, ties by id) are what ``_evaluate``
    takes: ``rank[j]`` is the position of ``facts[j]``.
    """

    facts: list[EncounterFact]
    rank: list[int]
    ids: list[int]  # encounter id per time-order position
    flags: list[int]  # rule bits per time-order position; 0 outside the window
    window_start: int  # first time-order position inside the lookback window


def _prepare(facts: Iterable[EncounterFact], now: datetime) -> _Prepared:
    _require_aware(now, "now")
    past = [fact for fact in facts if fact.occurred_at <= now]
    by_id = {fact.encounter_id: fact for fact in past}
    if len(by_id) != len(past):  # duplicates: fine only if they are identical
        for fact in past:
            if by_id[fact.encounter_id] != fact:
                raise ValueError(f"conflicting facts for encounter {fact.encounter_id}")
        past = list(by_id.values())
    times = [fact.occurred_at for fact in past]
    eids = [fact.encounter_id for fact in past]
    # Oldest first, ties by id: two stable single-key sorts beat one tuple key.
    order = sorted(range(len(past)), key=eids.__getitem__)
    order.sort(key=times.__getitem__)
    rank = [0] * len(past)
    for position, j in enumerate(order):
        rank[j] = position
    cutoff = now - timedelta(days=LOOKBACK_DAYS)
    bits = [_flags(fact) if at >= cutoff else 0 for fact, at in zip(past, times, strict=True)]
    return _Prepared(
        facts=past,
        rank=rank,
        ids=[eids[j] for j in order],
        flags=[bits[j] for j in order],
        window_start=bisect_left(order, cutoff, key=times.__getitem__),
    )


def _all_positions(prepared: _Prepared) -> list[int]:
    return list(range(len(prepared.facts)))


def _missing(
    target: int,
    encounter_count: int,
    together: int,
    self_initiated: int,
    ownership: int,
) -> tuple[str, ...]:
    """Codes of every unmet condition for reaching ``target`` (stage 1-3).

    The first-encounter step is only listed for stage 1: meeting together
    (stage 2 and up) already means meeting.
    """
    missing: list[str] = []
    if target == 1 and encounter_count < 1:
        missing.append(NEXT_FIRST_ENCOUNTER)
    if target >= 2 and together < STAGE2_MIN_TOGETHER:
        missing.append(NEXT_MEET_TOGETHER)
    if target >= 3:
        if self_initiated < STAGE3_MIN_SELF_INITIATED:
            missing.append(NEXT_SELF_INITIATED)
        if ownership < STAGE3_MIN_OWNERSHIP:
            missing.append(NEXT_OWNERSHIP)
    return tuple(missing)


_EMPTY = StageResult(
    stage=0,
    reasons=(REASON_NO_ENCOUNTERS,),
    evidence=(),
    next_steps=(NEXT_FIRST_ENCOUNTER,),
)


def stage_from_counts(encounters: int, together: int, self_initiated: int, ownership: int) -> int:
    """The stage from a person's or pair's counts: all encounters so far, and in
    the lookback window the together, self-initiated and ownership ones (an
    encounter led both ways *or* organised for others counts once).

    The one place the thresholds are applied; the reports' funnel counts in
    SQL with the same flags (:data:`TOGETHER_KINDS`...) and calls this.
    """
    if encounters < 1:
        return 0
    if together < STAGE2_MIN_TOGETHER:
        return 1
    if self_initiated >= STAGE3_MIN_SELF_INITIATED and ownership >= STAGE3_MIN_OWNERSHIP:
        return 3
    return 2


def stage_changes(facts: Iterable[EncounterFact]) -> list[tuple[datetime, int]]:
    """When the stage computed from ``facts`` (all of a person's or pair's
    encounters) changes: ``[(moment, stage from then on), ...]``, oldest first.

    The stage at any moment is the one of the latest change at or before it
    (0 before the first). Between changes the counts of
    :func:`stage_from_counts` do not move: an encounter counts from the
    moment it took place, and leaves the lookback window one microsecond
    after ``LOOKBACK_DAYS`` have passed (the window includes its first moment).
    The reports' funnel reads these changes instead of counting encounters.
    """
    unique = {fact.encounter_id: fact for fact in facts}
    steps: dict[datetime, list[int]] = {}
    leave_after = timedelta(days=LOOKBACK_DAYS, microseconds=1)
    for fact in unique.values():
        bits = _flags(fact)
        together, own, self_ = bits & _TOGETHER != 0, bits & _OWNERSHIP != 0, bits & _SELF != 0
        enter = steps.setdefault(fact.occurred_at, [0, 0, 0, 0])
        leave = steps.setdefault(fact.occurred_at + leave_after, [0, 0, 0, 0])
        for i, on in enumerate((True, together, self_, own)):
            enter[i] += on
            if i:
                leave[i] -= on
    changes: list[tuple[datetime, int]] = []
    counts = [0, 0, 0, 0]
    stage = 0
    for moment in sorted(steps):
        counts = [a + b for a, b in zip(counts, steps[moment], strict=True)]
        now_stage = stage_from_counts(*counts)
        if now_stage != stage:
            changes.append((moment, now_stage))
            stage = now_stage
    return changes


def _evaluate(prepared: _Prepared, indices: list[int]) -> StageResult:
    """Stage for the encounters at time-order positions ``indices`` (ascending)."""
    if not indices:
        return _EMPTY
    ids = prepared.ids
    flags = prepared.flags

    past_ids = tuple(map(ids.__getitem__, indices))
    together: list[int] = []
    self_initiated: list[int] = []
    both_ways: list[int] = []
    organised: list[int] = []
    counted: list[int] = []  # window encounters meeting any stage 2/3 rule
    n_ownership = 0
    for i in indices[bisect_left(indices, prepared.window_start) :]:
        bits = flags[i]
        if not bits:
            continue
        eid = ids[i]
        if bits & _TOGETHER:
            together.append(eid)
        if bits & _SELF:
            self_initiated.append(eid)
        if bits & _BOTH_WAYS:
            both_ways.append(eid)
        if bits & _ORGANISED:
            organised.append(eid)
        if bits & _OWNERSHIP:
            n_ownership += 1
        counted.append(eid)

    stage = stage_from_counts(len(past_ids), len(together), len(self_initiated), n_ownership)
    by_reason: list[tuple[str, tuple[int, ...]]] = [(REASON_MET, past_ids)]
    if stage == 3:
        evidence = tuple(counted)
        by_reason.append((REASON_TOGETHER, tuple(together)))
        by_reason.append((REASON_SELF_INITIATED, tuple(self_initiated)))
        if both_ways:
            by_reason.append((REASON_ROLES_BOTH_WAYS, tuple(both_ways)))
        if organised:
            by_reason.append((REASON_ORGANISED, tuple(organised)))
    elif stage == 2:
        evidence = tuple(together)
        by_reason.append((REASON_TOGETHER, evidence))
    else:
        evidence = past_ids

    return StageResult(
        stage=stage,
        reasons=tuple(code for code, _ in by_reason),
        evidence=evidence,
        next_steps=(
            ()
            if stage == MAX_STAGE
            else _missing(stage + 1, len(past_ids), len(together), len(self_initiated), n_ownership)
        ),
        evidence_by_reason=tuple(by_reason),
        encounter_count=len(past_ids),
        together_count=len(together),
        self_initiated_count=len(self_initiated),
        roles_both_ways_count=len(both_ways),
        organised_count=len(organised),
        ownership_count=n_ownership,
    )


def _check_person_kind(person_kind: str) -> None:
    if person_kind not in PERSON_KINDS:
        raise ValueError(f"person_kind must be 'helper' or 'elder', got {person_kind!r}")


# --- Public API ---------------------------------------------------------------


def pair_stage(facts: Iterable[EncounterFact], helper_id: int, elder_id: int, *, now: datetime) -> StageResult:
    """Stage of one pair: encounters where both the helper and the elder took part."""
    prepared = _prepare((f for f in facts if helper_id in f.helper_ids and elder_id in f.elder_ids), now)
    return _evaluate(prepared, _all_positions(prepared))


def person_stage(
    facts: Iterable[EncounterFact],
    *,
    person_kind: PersonKind,
    person_id: int,
    now: datetime,
) -> StageResult:
    """Stage of one person, from every encounter they took part in."""
    _check_person_kind(person_kind)
    if person_kind == "helper":
        mine = (f for f in facts if person_id in f.helper_ids)
    else:
        mine = (f for f in facts if person_id in f.elder_ids)
    prepared = _prepare(mine, now)
    return _evaluate(prepared, _all_positions(prepared))


def _person_indices(prepared: _Prepared, person_kind: str, person_ids: Iterable[int]) -> dict[int, list[int]]:
    indices: dict[int, list[int]] = {pid: [] for pid in person_ids}
    members = _helpers_of if person_kind == "helper" else _elders_of
    for fact, position in zip(prepared.facts, prepared.rank, strict=True):
        for pid in members(fact):
            bucket = indices.get(pid)
            if bucket is None:
                indices[pid] = [position]
            else:
                bucket.append(position)
    for bucket in indices.values():
        bucket.sort()  # linear when the facts came in time order
    return indices


def _pair_indices(prepared: _Prepared, pairs: Iterable[tuple[int, int]]) -> dict[tuple[int, int], list[int]]:
    indices: dict[tuple[int, int], list[int]] = {}
    elders_by_helper: dict[int, list[int]] = {}
    for helper_id, elder_id in pairs:
        if (helper_id, elder_id) not in indices:
            indices[(helper_id, elder_id)] = []
            elders_by_helper.setdefault(helper_id, []).append(elder_id)
    for fact, position in zip(prepared.facts, prepared.rank, strict=True):
        for helper_id in fact.helper_ids:
            elder_list = elders_by_helper.get(helper_id)
            if elder_list is None:
                continue
            elder_ids = fact.elder_ids
            for elder_id in elder_list:
                if elder_id in elder_ids:
                    indices[(helper_id, elder_id)].append(position)
    for bucket in indices.values():
        bucket.sort()
    return indices


def person_stages(
    facts: Iterable[EncounterFact],
    *,
    person_kind: PersonKind,
    now: datetime,
    person_ids: Iterable[int] = (),
) -> dict[int, StageResult]:
    """Stages of every person of one kind, sorting the facts only once.

    Everyone who appears in the facts is included, plus each id in
    ``person_ids`` (stage 0 if they have no encounters), so the result can
    feed ``area_summary`` directly.
    """
    _check_person_kind(person_kind)
    prepared = _prepare(facts, now)
    indices = _person_indices(prepared, person_kind, person_ids)
    return {pid: _evaluate(prepared, idx) for pid, idx in indices.items()}


def pair_stages(
    facts: Iterable[EncounterFact],
    pairs: Iterable[tuple[int, int]],
    *,
    now: datetime,
) -> dict[tuple[int, int], StageResult]:
    """Stages of many (helper_id, elder_id) pairs in one pass over the facts."""
    prepared = _prepare(facts, now)
    indices = _pair_indices(prepared, pairs)
    return {pair: _evaluate(prepared, idx) for pair, idx in indices.items()}


@dataclass(frozen=True, slots=True)
class StageOverview:
    """Stages of all helpers, elders and the given pairs, from one pass."""

    helpers: dict[int, StageResult]
    elders: dict[int, StageResult]
    pairs: dict[tuple[int, int], StageResult]


def all_stages(
    facts: Iterable[EncounterFact],
    *,
    now: datetime,
    pairs: Iterable[tuple[int, int]] = (),
    helper_ids: Iterable[int] = (),
    elder_ids: Iterable[int] = (),
) -> StageOverview:
    """Everything a village or municipality dashboard needs, sorting the facts once.

    Same results as `person_stages` for both kinds and `pair_stages`.
    """
    prepared = _prepare(facts, now)
    return StageOverview(
        helpers={pid: _evaluate(prepared, idx) for pid, idx in _person_indices(prepared, "helper", helper_ids).items()},
        elders={pid: _evaluate(prepared, idx) for pid, idx in _person_indices(prepared, "elder", elder_ids).items()},
        pairs={pair: _evaluate(prepared, idx) for pair, idx in _pair_indices(prepared, pairs).items()},
    )


def area_summary(per_person_stages: Iterable[int]) -> dict[int, int]:
    """Funnel for a village or municipality: how many people are at each stage.

    Always has the keys 0, 1, 2 and 3, in that order.
    """
    counts = dict.fromkeys(STAGES, 0)
    for stage in per_person_stages:
        _check_stage(stage, "stage")
        counts[stage] += 1
    return counts


def reached_at_least(summary: Mapping[int, int]) -> dict[int, int]:
    """Cumulative funnel: how many people have reached each stage or beyond."""
    result: dict[int, int] = {}
    running = 0
    for stage in reversed(STAGES):
        running += summary.get(stage, 0)
        result[stage] = running
    return {stage: result[stage] for stage in STAGES}


def apply_override(result: StageResult, override_stage: int, reason: str) -> StageResult:
    """A coordinator sets the stage by hand; a non-empty reason is required.

    The rule-based stage stays in ``computed_stage`` and the evidence is kept;
    ``next_steps`` is recomputed for the stage after the coordinator's one.
    Overriding an overridden result replaces the earlier override.
    """
    _check_stage(override_stage, "override_stage")
    if not isinstance(reason, str) or not reason.strip():
        raise ValueError("an override needs a reason")
    next_steps = (
        ()
        if override_stage == MAX_STAGE
        else _missing(
            override_stage + 1,
            result.encounter_count,
            result.together_count,
            result.self_initiated_count,
            result.ownership_count,
        )
    )
    reasons = tuple(code for code in result.reasons if code != REASON_OVERRIDE)
    return replace(
        result,
        stage=override_stage,
        reasons=(*reasons, REASON_OVERRIDE),
        next_steps=next_steps,
        overridden=True,
        override_reason=reason.strip(),
        computed_stage=result.computed_stage,
    )
