"""The coordinator's phone day: the call log and the shared queue of callbacks."""

from app.calls import routes  # noqa: F401  (each page module registers its routes on bp)
from app.calls.blueprint import bp

__all__ = ["bp"]
