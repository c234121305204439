"""A short shared cache of each errand's ranked candidates (the coordinator's errand page).

Coordinators open and reload an errand's page all day; its ranking
(:func:`app.errands.matching_service.rank_candidates`) is the same for every
coordinator who may see the errand until something it reads changes. So the
page's ranking is kept, per errand, in the Flask-Caching cache the board and
the reports use (Redis for every app node when ``REDIS_URL`` is set) and in
each worker's memory, for at most ``RANKING_CACHE_SECONDS``.

A kept ranking is used only while

* it is younger than ``RANKING_CACHE_SECONDS`` (by the request's ``now``,
  never from a ``now`` before the one it was made at), and
* the ranking generation is the one it was made with. **Every committed
  write** through the ORM session (a flush, or an ORM-enabled INSERT, UPDATE
  or DELETE) gives a new generation, except writes only to the tables in
  :data:`UNRELATED` (login sessions, the audit log, SMS and call logs, alerts,
  report rollups), which no ranking reads. So a helper who pauses, is
  suspended, withdraws a guardian's consent, takes another errand at the same
  time or moves away is never shown from a kept ranking after that change is
  committed, on any node; nor is an errand's own change. The generation is
  global, not per organization: a helper of one organization is a candidate
  for its partners' errands too, and what the matcher reads may grow. Writes
  made around the session (statements on a bare connection) wait for the time
  limit at most.

``RANKING_CACHE_SECONDS = 0`` turns the cache off. Offering an errand
(:func:`app.errands.actions.offer_best`) always ranks afresh.
"""

from __future__ import annotations

import logging
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import chain

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.orm import ORMExecuteState

from app.errands.actions import candidates_for
from app.errands.matching_service import CandidateList
from app.extensions import cache
from app.models import Errand, utcnow

log = logging.getLogger(__name__)

#: Part of every key: a new shape of the kept value never reads an old one.
VERSION = 1

#: How many errands' rankings each worker keeps in its own memory besides the shared cache.
LOCAL_ERRANDS = 512

#: Tables no ranking reads: writing only these keeps the kept rankings.
UNRELATED = frozenset(
    {
        "user_sessions",
        "audit_log",
        "sms_messages",
        "sms_opt_outs",
        "provider_erasures",
        "call_logs",
        "callbacks",
        "coordinator_alerts",
        "errand_events",
        "rollup_errand_days",
        "rollup_match_minutes",
        "rollup_request_days",
        "rollup_encounter_days",
        "rollup_person_days",
        "stage_changes",
    }
)

_GENERATION_KEY = f"ranking:{VERSION}:generation"


@dataclass(frozen=True)
class KeptRanking:
    errand_id: int
    generation: str | None
    made_at: datetime
    candidates: CandidateList | None  # None: the errand needs no helpers


def _local() -> dict[int, KeptRanking]:
    return current_app.extensions.setdefault("ranking_cache", {})


def enabled() -> bool:
    return current_app.config["RANKING_CACHE_SECONDS"] > 0


def _key(errand_id: int) -> str:
    return f"ranking:{VERSION}:errand:{errand_id}"


def _usable(kept: object, errand_id: int, generation: str | None, now: datetime) -> bool:
    if not isinstance(kept, KeptRanking) or kept.errand_id != errand_id or kept.generation != generation:
        return False
    seconds = current_app.config["RANKING_CACHE_SECONDS"]
    return kept.made_at <= now < kept.made_at + timedelta(seconds=seconds)


def page_candidates(errand: Errand, *, now: datetime | None = None) -> CandidateList | None:
    """The errand page's ranked and excluded candidates (None: it needs no helpers),
    kept or ranked now and kept (:func:`app.errands.actions.candidates_for`)."""
    now = now or utcnow()
    if not enabled():
        return candidates_for(errand, now=now)
    generation: str | None = None
    try:
        generation = cache.get(_GENERATION_KEY) or ""
        kept = _local().get(errand.id)
        if _usable(kept, errand.id, generation, now):
            return kept.candidates  # type: ignore[union-attr]
        shared = cache.get(_key(errand.id))
        if _usable(shared, errand.id, generation, now):
            _remember(shared)
            return shared.candidates
    except Exception:  # a broken cache must not break the page
        log.warning("ranking cache could not be read", exc_info=True)
        generation = None
    # Read before ranking (above): a change committed meanwhile leaves a newer generation.
    candidates = candidates_for(errand, now=now)
    if generation is not None:
        kept = KeptRanking(errand.id, generation, now, candidates)
        try:
            cache.set(_key(errand.id), kept, timeout=current_app.config["RANKING_CACHE_SECONDS"])
        except Exception:
            log.warning("ranking cache could not be written", exc_info=True)
        _remember(kept)
    return candidates


def _remember(kept: KeptRanking) -> None:
    local = _local()
    if len(local) >= LOCAL_ERRANDS and kept.errand_id not in local:
        local.clear()
    local[kept.errand_id] = kept


# --------------------------------------------------------------------------
# Invalidation: a committed write to any table a ranking could read
# --------------------------------------------------------------------------

_PENDING = "ranking_cache_changed"


def _related(table: object) -> bool:
    return getattr(table, "name", None) not in UNRELATED


def _flushed(session: sa.orm.Session, _flush_context) -> None:
    for obj in chain(session.new, session.dirty, session.deleted):
        if _related(getattr(obj, "__table__", None)):
            session.info[_PENDING] = True
            return


def _executed(state: ORMExecuteState) -> None:
    if (state.is_insert or state.is_update or state.is_delete) and _related(getattr(state.statement, "table", None)):
        state.session.info[_PENDING] = True


def _committed(session: sa.orm.Session) -> None:
    """After the commit (a write rolled back leaves its mark until the next commit: one
    generation too many costs a ranking, one too few would show a stale one)."""
    if not session.info.pop(_PENDING, False) or not has_app_context():
        return
    try:
        cache.set(_GENERATION_KEY, secrets.token_hex(8), timeout=0)
    except Exception:  # the time limit still holds
        log.warning("ranking cache generation could not be written", exc_info=True)


sa.event.listen(sa.orm.Session, "after_flush", _flushed)
sa.event.listen(sa.orm.Session, "do_orm_execute", _executed)
sa.event.listen(sa.orm.Session, "after_commit", _committed)
