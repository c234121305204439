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
