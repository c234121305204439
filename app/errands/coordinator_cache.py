"""A short shared cache of what coordinators read over and over: each errand's ranked
candidates (the errand page) and each scope's "Needs attention" lists (the day and
week pages, without the alerts, which are read on every request).

Coordinators open and reload these pages all day; the ranking
(:func:`app.errands.matching_service.rank_candidates`), the lists
(:func:`app.errands.agenda.needs_attention`) and the errands of a day or a week
(:func:`app.errands.agenda.errands_by_day`) are the same for every coordinator
who may see them (the same organizations) until something they read changes. So they are kept in the
Flask-Caching cache the board and the reports use (Redis for every app node when
``REDIS_URL`` is set) and in each worker's memory, for at most
``COORDINATOR_CACHE_SECONDS``.

A kept value is used only while

* it is younger than ``COORDINATOR_CACHE_SECONDS`` (by the request's ``now``,
  never from a ``now`` before the one it was made at), and
* the generation is the one it was made with. **Every committed write**
  through the ORM session (a flush, or an ORM-enabled INSERT, UPDATE or
  DELETE) gives a new generation, except writes only to the tables in
  :data:`UNRELATED` (login sessions, the audit log, SMS and call logs, alerts,
  errand events, report rollups), which neither reads. So a helper who
  pauses, is suspended, withdraws a guardian's consent, takes another errand
  at the same time or moves away is never shown from a kept ranking after
  that change is committed, on any node; nor is an errand's, an offer's or a
  person's change missing from a kept list. The generation is global, not per
  organization: a helper of one organization is a candidate for its
  partners' errands too, and what the matcher reads may grow. Writes made
  around the session (statements on a bare connection) and the passing of
  time (an offer becoming unanswered after 12 hours) wait for the time limit
  at most.

``COORDINATOR_CACHE_SECONDS = 0`` turns the cache off. Offering an errand
(:func:`app.errands.actions.offer_best`) always ranks afresh.
"""

from __future__ import annotations

import dataclasses
import logging
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import chain
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, has_app_context, has_request_context, request
from sqlalchemy.orm import ORMExecuteState

from app.errands import agenda
from app.errands.actions import candidates_for
from app.errands.matching_service import CandidateList
from app.extensions import cache
from app.memo import keep
from app.models import Errand, utcnow

log = logging.getLogger(__name__)

#: Part of every key: a new shape of the kept value never reads an old one.
VERSION = 1

#: How many values each worker keeps in its own memory besides the shared cache (a kept
#: ranking is about 5 KB pickled, some 20-30 KB as objects: the web worker stays under 200 MB).
LOCAL_VALUES = 128

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

_GENERATION_KEY = f"coordinator:{VERSION}:generation"
T = TypeVar("T")


@dataclass(frozen=True)
class Kept:
    key: str
    generation: str
    made_at: datetime
    value: Any


def _local() -> dict[str, Kept]:
    return current_app.extensions.setdefault("coordinator_cache", {})


def enabled() -> bool:
    return current_app.config["COORDINATOR_CACHE_SECONDS"] > 0


def _usable(kept: object, key: str, generation: str, now: datetime) -> bool:
    if not isinstance(kept, Kept) or kept.key != key or kept.generation != generation:
        return False
    seconds = current_app.config["COORDINATOR_CACHE_SECONDS"]
    return kept.made_at <= now < kept.made_at + timedelta(seconds=seconds)


def _kept(key: str, make: Callable[[], T], now: datetime) -> T:
    """The value kept under ``key`` while usable, else ``make()`` kept."""
    if not enabled():
        return make()
    key = f"coordinator:{VERSION}:{key}"
    generation: str | None = None
    try:
        generation = _generation()
        kept = _local().get(key)
        if _usable(kept, key, generation, now):
            return kept.value  # type: ignore[union-attr]
        shared = cache.get(key)
        if _usable(shared, key, generation, now):
            _remember(shared)
            return shared.value
    except Exception:  # a broken cache must not break the page
        log.warning("coordinator cache could not be read", exc_info=True)
        generation = None
    # The generation was read before the value is made: a change committed meanwhile leaves a newer one.
    value = make()
    if generation is not None:
        kept = Kept(key, generation, now, value)
        try:
            cache.set(key, kept, timeout=current_app.config["COORDINATOR_CACHE_SECONDS"])
        except Exception:
            log.warning("coordinator cache could not be written", exc_info=True)
        _remember(kept)
    return value


#: Where a request keeps the generation it read (a page asks for several kept values).
_REQUEST_GENERATION = "arjen.coordinator_cache.generation"


def _generation() -> str:
    """The generation, read once per request (and again after a commit in it)."""
    if not has_request_context():
        return cache.get(_GENERATION_KEY) or ""
    generation = request.environ.get(_REQUEST_GENERATION)
    if generation is None:
        generation = request.environ[_REQUEST_GENERATION] = cache.get(_GENERATION_KEY) or ""
    return generation


def _remember(kept: Kept) -> None:
    keep(_local(), kept.key, kept, limit=LOCAL_VALUES)


def page_candidates(
    errand: Errand | int, *, load: Callable[[], Errand] | None = None, now: datetime | None = None
) -> CandidateList | None:
    """The errand page's ranked and excluded candidates (None: it needs no helpers),
    kept or ranked now and kept (:func:`app.errands.actions.candidates_for`). ``errand``:
    the errand, or its id with ``load`` giving the errand, called only to rank it afresh."""
    now = now or utcnow()
    if isinstance(errand, Errand):
        errand_id, load = errand.id, (lambda: errand)  # noqa: E731
    else:
        errand_id = errand
        if load is None:
            raise TypeError("page_candidates(errand_id) needs load")
    return _kept(f"ranking:{errand_id}", lambda: candidates_for(load(), now=now), now)


def _scope_key(scope: set[int] | None) -> str:
    return ",".join(map(str, sorted(scope))) if scope is not None else "all"


def errands_by_day(
    scope: set[int] | None, first: date, days: int, *, language: str, now: datetime | None = None
) -> list[tuple[date, list[agenda.ListedErrand]]]:
    """:func:`app.errands.agenda.errands_by_day` (the day and week pages, the start page's
    block), kept or read now and kept: while kept, the same object (its lists too)."""
    now = now or utcnow()
    return _kept(
        f"days:{language}:{_scope_key(scope)}:{first.isoformat()}:{days}",
        lambda: agenda.errands_by_day(scope, first, days, language=language),
        now,
    )


def attention(scope: set[int] | None, *, language: str, now: datetime | None = None) -> agenda.Attention:
    """:func:`app.errands.agenda.needs_attention` for ``scope`` in ``language``: its errand
    lists kept (or read now and kept), its alerts read now."""
    now = now or utcnow()
    lists = _kept(
        f"attention:{language}:{_scope_key(scope)}",
        lambda: agenda.needs_attention(scope, now, language=language, with_alerts=False),
        now,
    )
    return dataclasses.replace(lists, alerts=agenda.open_alerts(scope))


# --------------------------------------------------------------------------
# Invalidation: a committed write to any table a ranking could read
# --------------------------------------------------------------------------

_PENDING = "coordinator_cache_changed"


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
    if has_request_context():  # the rest of the request reads the new generation
        request.environ.pop(_REQUEST_GENERATION, None)
    try:
        cache.set(_GENERATION_KEY, secrets.token_hex(8), timeout=0)
    except Exception:  # the time limit still holds
        log.warning("coordinator cache generation could not be written", exc_info=True)


sa.event.listen(sa.orm.Session, "after_flush", _flushed)
sa.event.listen(sa.orm.Session, "do_orm_execute", _executed)
sa.event.listen(sa.orm.Session, "after_commit", _committed)
