"""From ranked candidates to the planner's options (pure: no Flask, no database).

The same for the service (candidates from :func:`app.errands.matching_service.rank_candidates`)
and the benchmark (candidates ranked by :func:`app.matching.score.rank` in memory): the
score's hard rules have already excluded who may not take the errand; here the
availability rules (:mod:`app.matching.availability`) hold, the best
:data:`OPTIONS_PER_ERRAND` are kept and the person's regular helper is marked.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from datetime import datetime

from app.matching.availability import HelperWeek, unavailable_reason
from app.matching.score import Excluded, Ranked
from app.planning.solver import Option

#: The planner compares at most this many of each errand's best candidates.
OPTIONS_PER_ERRAND = 25


def regular_helper(ranked: Sequence[Ranked]) -> int | None:
    """The person's regular helper among the candidates: the preferred one, else
    the one with the strongest continuity (most errands with the person)."""
    best: tuple[float, int] | None = None
    for r in ranked:
        for reason in r.reasons:
            if reason.code == "preferred":
                return r.helper_id
            if reason.code == "continuity" and (best is None or reason.points > best[0]):
                best = (reason.points, r.helper_id)
    return best[1] if best else None


def options_for(
    starts_at: datetime,
    ends_at: datetime,
    ranked: Sequence[Ranked],
    weeks: Mapping[int, HelperWeek],
    *,
    limit: int = OPTIONS_PER_ERRAND,
) -> tuple[tuple[Option, ...], Counter[str]]:
    """The errand's options, best first, and how many candidates each availability rule left out."""
    regular = regular_helper(ranked)
    options: list[Option] = []
    left_out: Counter[str] = Counter()
    for r in ranked:
        week = weeks.get(r.helper_id)
        why = unavailable_reason(week, starts_at, ends_at) if week is not None else None
        if why is not None:
            left_out[why] += 1
            continue
        if len(options) < limit:
            options.append(Option(r.helper_id, r.score, r.distance_km or 0.0, r.helper_id == regular))
    return tuple(options), left_out


def exclusion_counts(excluded: Sequence[Excluded]) -> Counter[str]:
    """How many candidates each hard rule of the score excluded (to say why an errand is not covered)."""
    return Counter(code for x in excluded for code in x.codes)
