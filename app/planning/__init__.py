"""The week plan (issue 18): assign a week's errands together, optimally.

:mod:`app.planning.solver` is pure (dataclasses in, a plan out; HiGHS for the
optimisation); the availability rules it plans within are the pure
:mod:`app.matching.availability`; :mod:`app.planning.service` builds an
instance from the database and stores the draft plan.
"""
