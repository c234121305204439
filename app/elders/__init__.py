"""Older residents: taken in by a coordinator on the phone, found fast, placed on the map."""

from app.elders import routes  # noqa: F401  (each page module registers its routes on bp)
from app.elders.blueprint import bp

__all__ = ["bp"]
