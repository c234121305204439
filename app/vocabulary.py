"""The product's fixed vocabularies, defined once: every model, rule, form and seed reads them here.

Pure constants with no imports from the app, so the lowest layers (models, the matching
score) and the highest (forms, the demo seed, the benchmarks' data) can share them.
"""

from __future__ import annotations

from typing import Final

#: Needs-based profiles of older residents (CONCEPT.md), in the order forms show them.
ELDER_PROFILES: Final[tuple[str, ...]] = (
    "yhteisoaktiivi",
    "arjen_aktivisti",
    "koti_kunniaan",
    "kotoilija",
    "rutinoitunut",
)
#: Needs-based profiles of young helpers (CONCEPT.md), in the order forms show them.
YOUTH_PROFILES: Final[tuple[str, ...]] = (
    "vahaan_tyytyvat",
    "arjen_pyorittajat",
    "tulevaisuususkoiset",
    "toivokkaat",
)

#: Every state an errand can be in; :mod:`app.errands.states` owns the steps between them.
ERRAND_STATES: Final[tuple[str, ...]] = (
    "open",
    "offered",
    "assigned",
    "done",
    "cancelled",
    "withdrawn",
    "no_show",
    "expired",
)
#: The states of an errand that is still to happen (not done, cancelled, expired or missed).
LIVE_ERRAND_STATES: Final[tuple[str, ...]] = ("open", "offered", "assigned")

# --------------------------------------------------------------------------
# Bits of the helper's choices (helper_profiles.*_mask, migration 0011)
# --------------------------------------------------------------------------
# The matcher reads a helper's task types, weekly availability and languages as
# integers, not as JSON to decode per row. The positions below are stored in the
# database: append only, never reorder. (A task type's bit is its own column,
# ``task_types.bit``, as admins add task types.)

#: The parts of day a helper marks as available, in this order.
PARTS_OF_DAY: Final[tuple[str, ...]] = ("morning", "afternoon", "evening")
#: The languages a helper can list (the registration form's), each with a bit: its index.
HELPER_LANGUAGES: Final[tuple[str, ...]] = ("fi", "sv", "en", "other")
#: At most this many task types get a bit (a signed 64-bit integer holds them).
TASK_BITS: Final[int] = 63


def slot_bit(weekday: int, part: str) -> int:
    """The availability bit of ``(weekday, part of day)``: weekday 0 = Monday."""
    return 1 << (weekday * len(PARTS_OF_DAY) + PARTS_OF_DAY.index(part))


def availability_mask(slots) -> int:
    """Weekly availability (``[weekday, part]`` pairs) as bits. Items that are not
    such a pair (a whole weekday 0-6 and a known part) match no errand's slot, as in
    the matcher, so they get no bit."""
    mask = 0
    for item in slots or ():
        if isinstance(item, list | tuple) and len(item) == 2:
            weekday, part = item
            if type(weekday) is int and 0 <= weekday <= 6 and part in PARTS_OF_DAY:
                mask |= slot_bit(weekday, part)
    return mask


def language_mask(codes) -> int:
    """The languages a helper listed as bits (codes outside :data:`HELPER_LANGUAGES` get none)."""
    mask = 0
    for code in codes or ():
        if code in HELPER_LANGUAGES:
            mask |= 1 << HELPER_LANGUAGES.index(code)
    return mask


def code_mask(codes, bits: dict[str, int]) -> int:
    """Codes as bits, given each code's bit position (task types: ``task_types.bit``)."""
    mask = 0
    for code in codes or ():
        bit = bits.get(code) if isinstance(code, str) else None
        if bit is not None:
            mask |= 1 << bit
    return mask
