"""Pure helper-to-errand matching (no Flask, no database)."""

from .geo import bounding_box, haversine_km
from .score import (
    ErrandSpec,
    Excluded,
    Exclusion,
    HelperCandidate,
    Ranked,
    Reason,
    evaluate,
    rank,
    slots_for_window,
)

__all__ = [
    "ErrandSpec",
    "Excluded",
    "Exclusion",
    "HelperCandidate",
    "Ranked",
    "Reason",
    "bounding_box",
    "evaluate",
    "haversine_km",
    "rank",
    "slots_for_window",
]
