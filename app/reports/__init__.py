"""Reports for coordinators and decision makers, the CSV export, and the
helper's PDF certificate of volunteering."""

from app.reports import routes  # noqa: F401  (each page module registers its routes on bp)
from app.reports.blueprint import bp

__all__ = ["bp"]
