"""Unit tests for app.encounters.wellbeing (pure, no database)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from app.encounters import wellbeing as w
from app.encounters.wellbeing import (
    InvalidAnswers,
    aggregate_changes,
    change,
    describe_error,
    is_due,
    next_due,
    score,
    validate_answers,
)

T0 = datetime(2025, 1, 15, 10, 0, tzinfo=UTC)


def elder(companionship: int = 1, left_out: int = 1, isolated: int = 1, good_days: int = 7) -> dict[str, int]:
    return {
        "ucla_companionship": companionship,
        "ucla_left_out": left_out,
        "ucla_isolated": isolated,
        "good_days": good_days,
    }


def helper(role: int = 3, future: int = 3) -> dict[str, int]:
    return {"meaningful_role": role, "future_belief": future}


def elder_scores(total: int, good_days: int = 3) -> dict[str, object]:
    """Scored elder check-in with a given UCLA total (3-9)."""
    parts = [1, 1, 1]
    for i in range(total - 3):
        parts[i % 3] += 1
    return score("elder", elder(*parts, good_days=good_days))


# --- Item definitions ---------------------------------------------------------


class TestDefinitions:
    def test_elder_items_are_ucla3_and_good_days(self) -> None:
        items = w.ITEMS["elder"]
        assert [i.code for i in items] == ["ucla_companionship", "ucla_left_out", "ucla_isolated", "good_days"]
        assert items[0].question == "How often do you feel that you lack companionship?"
        assert items[1].question == "How often do you feel left out?"
        assert items[2].question == "How often do you feel isolated from others?"
        for item in items[:3]:
            assert [(o.value, o.label) for o in item.options] == [
                (1, "Hardly ever"),
                (2, "Some of the time"),
                (3, "Often"),
            ]
            assert item.measure == "loneliness_total"
        assert items[3].values == tuple(range(8))
        assert (items[3].min_value, items[3].max_value) == (0, 7)
        assert items[3].options[1].label == "1 day"
        assert items[3].options[0].label == "0 days"

    def test_helper_items(self) -> None:
        items = w.ITEMS["helper"]
        assert [i.code for i in items] == ["meaningful_role", "future_belief"]
        for item in items:
            assert item.values == (1, 2, 3, 4, 5)
            assert item.question.endswith("?")

    def test_measures_say_which_direction_is_better(self) -> None:
        better = {m.code: m.better for kind in w.KINDS for m in w.MEASURES[kind]}
        assert better == {
            "loneliness_total": "lower",
            "good_days": "higher",
            "meaningful_role": "higher",
            "future_belief": "higher",
        }
        lonely = w.measures_for("elder")[0]
        assert (lonely.minimum, lonely.maximum) == (3, 9)

    def test_measure_ranges_match_items(self) -> None:
        for kind in w.KINDS:
            items = {i.code: i for i in w.ITEMS[kind]}
            for m in w.MEASURES[kind]:
                assert m.minimum == sum(items[c].min_value for c in m.items)
                assert m.maximum == sum(items[c].max_value for c in m.items)
            assert {i.measure for i in w.ITEMS[kind]} == {m.code for m in w.MEASURES[kind]}

    def test_unknown_kind(self) -> None:
        with pytest.raises(ValueError, match="kind"):
            w.measures_for("coordinator")  # type: ignore[arg-type]


# --- Validation ---------------------------------------------------------------


class TestValidate:
    def test_valid_answers(self) -> None:
        assert validate_answers("elder", elder()) == []
        assert validate_answers("elder", elder(3, 3, 3, 0)) == []
        assert validate_answers("helper", helper(1, 5)) == []

    def test_missing_items_in_question_order(self) -> None:
        assert validate_answers("elder", {"good_days": 3}) == [
            "missing:ucla_companionship",
            "missing:ucla_left_out",
            "missing:ucla_isolated",
        ]
        assert validate_answers("helper", {}) == ["missing:meaningful_role", "missing:future_belief"]

    def test_none_counts_as_missing(self) -> None:
        answers = {**helper(), "future_belief": None}
        assert validate_answers("helper", answers) == ["missing:future_belief"]  # type: ignore[arg-type]

    @pytest.mark.parametrize(
        ("item", "value", "error"),
        [
            ("ucla_left_out", 0, "out_of_range"),
            ("ucla_left_out", 4, "out_of_range"),
            ("good_days", -1, "out_of_range"),
            ("good_days", 8, "out_of_range"),
            ("ucla_isolated", "2", "not_integer"),
            ("ucla_isolated", 2.0, "not_integer"),
            ("ucla_isolated", True, "not_integer"),
        ],
    )
    def test_bad_elder_values(self, item: str, value: object, error: str) -> None:
        answers = {**elder(), item: value}
        assert validate_answers("elder", answers) == [f"{error}:{item}"]  # type: ignore[arg-type]

    @pytest.mark.parametrize(("value", "ok"), [(0, False), (1, True), (5, True), (6, False)])
    def test_helper_bounds(self, value: int, ok: bool) -> None:
        errors = validate_answers("helper", helper(role=value))
        assert errors == ([] if ok else ["out_of_range:meaningful_role"])

    def test_unknown_items_reported_sorted(self) -> None:
        answers = {**helper(), "zzz": 1, "good_days": 3}
        assert validate_answers("helper", answers) == ["unknown_item:good_days", "unknown_item:zzz"]

    def test_several_errors_together(self) -> None:
        answers = {"ucla_companionship": 9, "ucla_isolated": "x", "good_days": 2, "mood": 1}
        assert validate_answers("elder", answers) == [
            "out_of_range:ucla_companionship",
            "missing:ucla_left_out",
            "not_integer:ucla_isolated",
            "unknown_item:mood",
        ]

    def test_unknown_kind_raises(self) -> None:
        with pytest.raises(ValueError, match="kind"):
            validate_answers("youth", {})  # type: ignore[arg-type]

    def test_every_error_code_has_text(self) -> None:
        for code in ("missing:x", "unknown_item:x", "not_integer:x", "out_of_range:x"):
            assert describe_error(code).endswith(".")
        assert set(w.ERROR_TEXT) == {"missing", "unknown_item", "not_integer", "out_of_range"}


# --- Scoring -----------------------------------------------------------------


class TestScore:
    def test_elder_lowest_and_highest(self) -> None:
        assert score("elder", elder(1, 1, 1, 7)) == {
            "kind": "elder",
            "loneliness_total": 3,
            "lonely": False,
            "good_days": 7,
        }
        assert score("elder", elder(3, 3, 3, 0)) == {
            "kind": "elder",
            "loneliness_total": 9,
            "lonely": True,
            "good_days": 0,
        }

    def test_loneliness_cut_off_is_six(self) -> None:
        assert w.LONELY_CUTOFF == 6
        five = score("elder", elder(2, 2, 1))
        six = score("elder", elder(2, 2, 2))
        assert (five["loneliness_total"], five["lonely"]) == (5, False)
        assert (six["loneliness_total"], six["lonely"]) == (6, True)

    def test_helper(self) -> None:
        assert score("helper", helper(2, 5)) == {"kind": "helper", "meaningful_role": 2, "future_belief": 5}
        assert "lonely" not in score("helper", helper())

    def test_invalid_answers_raise_with_codes(self) -> None:
        with pytest.raises(InvalidAnswers) as info:
            score("elder", {"good_days": 9})
        assert info.value.errors == [
            "missing:ucla_companionship",
            "missing:ucla_left_out",
            "missing:ucla_isolated",
            "out_of_range:good_days",
        ]
        assert isinstance(info.value, ValueError)


# --- Change ------------------------------------------------------------------


class TestChange:
    def test_lower_loneliness_is_improvement(self) -> None:
        c = change(elder_scores(7, good_days=2), elder_scores(5, good_days=4))
        lonely = c["measures"]["loneliness_total"]
        assert lonely == {
            "before": 7,
            "after": 5,
            "difference": -2,
            "better": "lower",
            "direction": "improved",
            "improved": True,
        }
        days = c["measures"]["good_days"]
        assert (days["difference"], days["direction"], days["improved"]) == (2, "improved", True)
        assert c["kind"] == "elder"
        assert (c["lonely_before"], c["lonely_after"], c["no_longer_lonely"]) == (True, False, True)

    def test_higher_loneliness_is_worse(self) -> None:
        c = change(elder_scores(4, good_days=5), elder_scores(6, good_days=1))
        assert c["measures"]["loneliness_total"]["direction"] == "worsened"
        assert c["measures"]["loneliness_total"]["improved"] is False
        assert c["measures"]["good_days"]["direction"] == "worsened"
        assert (c["lonely_before"], c["lonely_after"], c["no_longer_lonely"]) == (False, True, False)

    def test_unchanged(self) -> None:
        c = change(elder_scores(6), elder_scores(6))
        assert c["measures"]["loneliness_total"]["direction"] == "unchanged"
        assert c["measures"]["loneliness_total"]["difference"] == 0
        assert c["no_longer_lonely"] is False

    def test_helper_higher_is_better(self) -> None:
        c = change(score("helper", helper(2, 4)), score("helper", helper(4, 3)))
        assert c["measures"]["meaningful_role"]["direction"] == "improved"
        assert c["measures"]["future_belief"]["direction"] == "worsened"
        assert "lonely_before" not in c

    def test_kind_inferred_when_missing(self) -> None:
        before = {"meaningful_role": 1, "future_belief": 1}
        after = {"meaningful_role": 2, "future_belief": 1}
        assert change(before, after)["kind"] == "helper"

    def test_mixed_kinds_rejected(self) -> None:
        with pytest.raises(ValueError, match="same kind"):
            change(elder_scores(5), score("helper", helper()))

    def test_out_of_range_scores_rejected(self) -> None:
        bad = {**elder_scores(5), "loneliness_total": 2}
        with pytest.raises(ValueError, match="loneliness_total"):
            change(bad, elder_scores(5))
        with pytest.raises(ValueError, match="cannot tell"):
            change({"x": 1}, {"x": 2})


class TestAggregate:
    def test_empty(self) -> None:
        assert aggregate_changes([]) == {"n": 0, "reportable": False, "measures": {}}

    def test_means_and_shares(self) -> None:
        pairs = [
            (elder_scores(7, 2), elder_scores(5, 4)),  # improved both, no longer lonely
            (elder_scores(6, 3), elder_scores(6, 3)),  # unchanged
            (elder_scores(4, 5), elder_scores(6, 2)),  # worsened both, became lonely
            (elder_scores(9, 0), elder_scores(8, 1)),  # improved, still lonely
        ]
        result = aggregate_changes(pairs)
        assert result["n"] == 4
        assert result["reportable"] is False
        lonely = result["measures"]["loneliness_total"]
        assert lonely["n"] == 4
        assert lonely["better"] == "lower"
        assert lonely["mean_before"] == pytest.approx(6.5)
        assert lonely["mean_after"] == pytest.approx(6.25)
        assert lonely["mean_change"] == pytest.approx(-0.25)
        assert lonely["share_improved"] == pytest.approx(0.5)
        assert lonely["share_worsened"] == pytest.approx(0.25)
        days = result["measures"]["good_days"]
        assert days["mean_change"] == pytest.approx((2 + 0 - 3 + 1) / 4)
        assert days["share_improved"] == pytest.approx(0.5)
        assert result["lonely"] == {"n": 4, "before": 3, "after": 3, "no_longer_lonely": 1, "became_lonely": 1}
        assert "meaningful_role" not in result["measures"]

    def test_mixed_kinds_and_reportable_threshold(self) -> None:
        assert w.MIN_REPORTABLE_N == 5
        helper_pairs = [(score("helper", helper(2, 3)), score("helper", helper(3, 3)))] * 5
        elder_pairs = [(elder_scores(5), elder_scores(4))] * 4
        result = aggregate_changes(helper_pairs + elder_pairs)
        assert result["n"] == 9
        assert result["reportable"] is True
        assert list(result["measures"]) == ["loneliness_total", "good_days", "meaningful_role", "future_belief"]
        assert result["measures"]["meaningful_role"]["n"] == 5
        assert result["measures"]["meaningful_role"]["reportable"] is True
        assert result["measures"]["meaningful_role"]["share_improved"] == 1.0
        assert result["measures"]["future_belief"]["share_improved"] == 0.0
        assert result["measures"]["future_belief"]["mean_change"] == 0.0
        assert result["measures"]["loneliness_total"]["reportable"] is False
        assert result["lonely"]["n"] == 4

    def test_accepts_generator(self) -> None:
        gen = ((elder_scores(5), elder_scores(3)) for _ in range(2))
        assert aggregate_changes(gen)["measures"]["loneliness_total"]["mean_change"] == -2

    def test_invalid_pair_raises(self) -> None:
        with pytest.raises(ValueError):
            aggregate_changes([(elder_scores(5), score("helper", helper()))])


# --- Schedule ---------------------------------------------------------------


class TestNextDue:
    def test_first_check_in_at_enrolment(self) -> None:
        assert next_due(None, T0) == T0

    def test_then_every_91_days_after_the_last_one(self) -> None:
        assert w.DEFAULT_EVERY_DAYS == 91
        assert next_due(T0, T0) == T0 + timedelta(days=91)
        late = T0 + timedelta(days=100)
        assert next_due(late, T0) == late + timedelta(days=91)
        assert next_due(T0, T0, every_days=30) == T0 + timedelta(days=30)

    def test_check_in_before_enrolment_does_not_count(self) -> None:
        assert next_due(T0 - timedelta(days=1), T0) == T0
        assert next_due(T0, T0) != T0

    def test_is_due_boundaries(self) -> None:
        due = T0 + timedelta(days=91)
        assert is_due(None, T0, now=T0) is True
        assert is_due(None, T0, now=T0 - timedelta(seconds=1)) is False
        assert is_due(T0, T0, now=due - timedelta(seconds=1)) is False
        assert is_due(T0, T0, now=due) is True

    @pytest.mark.parametrize("every", [0, -1, True, 1.5])
    def test_bad_interval(self, every: object) -> None:
        with pytest.raises(ValueError, match="every_days"):
            next_due(None, T0, every_days=every)  # type: ignore[arg-type]

    def test_naive_datetimes_rejected(self) -> None:
        with pytest.raises(ValueError, match="enrolled_at"):
            next_due(None, datetime(2025, 1, 1))
        with pytest.raises(ValueError, match="last_taken_at"):
            next_due(datetime(2025, 1, 1), T0)
        with pytest.raises(ValueError, match="now"):
            is_due(None, T0, now=datetime(2025, 1, 1))
