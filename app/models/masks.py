"""The one owner of the bit columns the matcher reads instead of JSON.

* ``task_types.bit``: each task type's bit, the lowest free one (at most
  :data:`app.vocabulary.TASK_BITS`), given when the type is added and never changed.
* ``helper_profiles.task_mask`` / ``availability_mask`` / ``language_mask``: the
  helper's ``task_types`` / ``availability`` / ``languages`` lists as bits
  (:mod:`app.vocabulary` has the layout), computed here before every flush that
  adds a profile or changes one of the lists. Bulk writers that bypass the ORM
  (``bench/datagen.py``) call :func:`helper_masks` with :func:`task_bits`;
  migration 0011 computes the same in SQL for the rows it found.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Session

from app.models.errand import TaskType
from app.models.user import HelperProfile
from app.vocabulary import TASK_BITS, availability_mask, code_mask, language_mask

_LISTS = ("task_types", "availability", "languages")


def task_bits(connection: sa.Connection) -> dict[str, int]:
    """Task type code -> its bit, as stored."""
    rows = connection.execute(sa.select(TaskType.code, TaskType.bit).where(TaskType.bit.is_not(None)))
    return {code: bit for code, bit in rows}


def helper_masks(task_types, availability, languages, bits: dict[str, int]) -> dict[str, int]:
    """The three bit columns of a helper's lists (``bits``: :func:`task_bits`)."""
    return {
        "task_mask": code_mask(task_types, bits),
        "availability_mask": availability_mask(availability),
        "language_mask": language_mask(languages),
    }


def _changed(profile: HelperProfile, names: tuple[str, ...]) -> bool:
    state = sa.inspect(profile)
    return state.pending or any(state.attrs[name].history.has_changes() for name in names)


@sa.event.listens_for(Session, "before_flush")
def _keep_in_step(session: Session, flush_context, instances) -> None:
    types = [o for o in (*session.new, *session.dirty) if isinstance(o, TaskType)]
    new_types = [t for t in types if t.bit is None]
    profiles = [o for o in (*session.new, *session.dirty) if isinstance(o, HelperProfile) and _changed(o, _LISTS)]
    if not new_types and not profiles:
        return
    need_bits = new_types or any(_changed(p, ("task_types",)) for p in profiles)
    bits = task_bits(session.connection()) if need_bits else {}
    if new_types:
        used = set(bits.values()) | {t.bit for t in types if t.bit is not None}
        for task_type in sorted(new_types, key=lambda t: (t.sort_order or 0, t.code)):
            free = next((b for b in range(TASK_BITS) if b not in used), None)
            if free is None:
                raise ValueError(f"at most {TASK_BITS} task types")
            task_type.bit = free
            used.add(free)
    bits.update({t.code: t.bit for t in types})
    for profile in profiles:
        task_types = profile.task_types
        if sa.inspect(profile).pending or _changed(profile, ("task_types",)):
            profile.task_mask = code_mask(task_types, bits)
        if sa.inspect(profile).pending or _changed(profile, ("availability",)):
            profile.availability_mask = availability_mask(profile.availability)
        if sa.inspect(profile).pending or _changed(profile, ("languages",)):
            profile.language_mask = language_mask(profile.languages)
