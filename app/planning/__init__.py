"""The week plan (issue 18): assign a week's errands together, optimally.

:mod:`app.planning.solver` is pure (dataclasses in, a plan out; HiGHS for the
optimisation); the availability rules it plans within are the pure
:mod:`app.matching.availability`; :mod:`app.planning.service` builds an
instance from the database and keeps the draft plan; :mod:`app.planning.routes`
is the coordinator's review page.
"""

from app.planning import routes  # noqa: F401  (the page module registers its routes on bp)
from app.planning.blueprint import bp

__all__ = ["bp"]
