"""bench/planner.py on a small week: the same instance for both, the plan never behind best-first."""

from __future__ import annotations

from app.planning.solver import gini
from bench.planner import Case, run


def test_gini():
    assert gini([1.0, 1.0, 1.0]) == 0.0
    assert gini([0.0, 0.0, 3.0]) == 2 / 3


def test_a_small_week_side_by_side():
    case = Case("small week, scarce", ("Paltamo",), 40, 8, 2.0, 5.0)
    (result,) = run(cases=(case,), log=lambda _m: None)
    f = result.figures
    assert f["errands"] == 40 and f["helpers"] == 8
    assert f["plan_covered"] >= f["best_first_covered"]
    assert f["plan_seconds"] <= 5.0
