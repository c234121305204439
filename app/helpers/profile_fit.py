"""Suggest a young helper's needs-based profile from the four sliders.

Pure and typed: standard library only, no Flask or database.

The sliders (CONCEPT.md: "every profile is also placed on four sliders") run
from 1 to 5, and 1 is always the LEFT end of the pair as the concept writes it:

=================  ======================  =============================
field              1 (left end)            5 (right end)
=================  ======================  =============================
``sociable``       sociable                acts alone
``producer``       service user            user-producer
``others``         looks after self        looks after others too
``digital``        electronic services     visiting in person
=================  ======================  =============================

(The model columns are ``slider_sociable``, ``slider_producer``,
``slider_others`` and ``slider_digital``; they name the pair, not the end.)

The four youth profiles are placed on the sliders by what the slides say
about each (see CONCEPT.md, "Who is involved"):

* **Vähään tyytyvät** (content with little): a small life sphere, values
  personal service and continuity, handles only the essentials → acts alone
  (5), a service user (1-2), looks after themselves (2), prefers meeting in
  person (5).
* **Arjen pyörittäjät** (keeping daily life running): a few key support
  people, routines carry them, many e-services → in between on sociality (3),
  uses services rather than produces them (2-3), many e-services (1-2).
* **Tulevaisuususkoiset** (believers in the future): active and
  self-directed, many e-services, exercise part of the day → user-producer
  (5), many e-services (1-2), fairly sociable (2-3).
* **Toivokkaat** (the hopeful): looking for a role and their own strengths,
  wanting to belong (the "barriers" slide) → sociable (2), wants to look
  after others too (5), on the way to producing (3-4), no strong e-service
  preference (3).

The suggestion is the profile whose point is nearest (Euclidean distance) to
the helper's four answers. Ties go to the profile listed first in
:data:`PROFILES`, so the result is deterministic. It is only a suggestion:
profiles are "not better and worse, only different", a person can act in
another profile in another situation, and a coordinator may correct it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

SLIDER_MIN: Final = 1
SLIDER_MAX: Final = 5

#: The sliders in display order: (field, left end, right end), English.
SLIDERS: Final[tuple[tuple[str, str, str], ...]] = (
    ("sociable", "Sociable", "Acts alone"),
    ("producer", "Service user", "User-producer"),
    ("others", "Looks after self", "Looks after others too"),
    ("digital", "Electronic services", "Visiting in person"),
)

#: Youth profile codes in tie-break order.
PROFILES: Final[tuple[str, ...]] = ("vahaan_tyytyvat", "arjen_pyorittajat", "tulevaisuususkoiset", "toivokkaat")

#: The profiles' proper names as the concept gives them (Finnish in every language).
PROFILE_NAMES: Final[dict[str, str]] = {
    "vahaan_tyytyvat": "Vähään tyytyvät",
    "arjen_pyorittajat": "Arjen pyörittäjät",
    "tulevaisuususkoiset": "Tulevaisuususkoiset",
    "toivokkaat": "Toivokkaat",
}

#: Each profile's point on the sliders (sociable, producer, others, digital).
PROTOTYPES: Final[dict[str, tuple[float, float, float, float]]] = {
    "vahaan_tyytyvat": (4.5, 1.5, 2.0, 4.5),
    "arjen_pyorittajat": (3.0, 2.5, 2.5, 1.5),
    "tulevaisuususkoiset": (2.5, 4.5, 3.0, 1.5),
    "toivokkaat": (2.0, 3.5, 4.5, 3.0),
}


@dataclass(frozen=True)
class Sliders:
    """A person's four slider values, each 1-5 (1 = the left end, see the module doc)."""

    sociable: int = 3
    producer: int = 3
    others: int = 3
    digital: int = 3

    def __post_init__(self) -> None:
        for name in ("sociable", "producer", "others", "digital"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not SLIDER_MIN <= value <= SLIDER_MAX:
                raise ValueError(f"slider {name} must be an integer {SLIDER_MIN}-{SLIDER_MAX}, got {value!r}")

    def as_tuple(self) -> tuple[int, int, int, int]:
        return (self.sociable, self.producer, self.others, self.digital)


@dataclass(frozen=True)
class Suggestion:
    """The suggested profile and every profile's distance (smaller is closer)."""

    profile: str
    distances: dict[str, float]

    @property
    def name(self) -> str:
        return PROFILE_NAMES[self.profile]

    @property
    def runner_up(self) -> str:
        """The second-nearest profile: worth mentioning when it is almost as close."""
        return sorted(PROFILES, key=lambda code: (self.distances[code], PROFILES.index(code)))[1]


def distance(sliders: Sliders, profile: str) -> float:
    """Euclidean distance between the answers and a profile's point."""
    return math.dist(sliders.as_tuple(), PROTOTYPES[profile])


def suggest(sliders: Sliders) -> Suggestion:
    """The profile nearest to the answers (ties: the earlier in :data:`PROFILES`)."""
    distances = {code: round(distance(sliders, code), 6) for code in PROFILES}
    best = min(PROFILES, key=lambda code: (distances[code], PROFILES.index(code)))
    return Suggestion(best, distances)


def suggest_code(sociable: int, producer: int, others: int, digital: int) -> str:
    """Shorthand for ``suggest(Sliders(...)).profile``."""
    return suggest(Sliders(sociable, producer, others, digital)).profile
