"""Structured well-being check-ins, measured before and after taking part.

What is asked (plain words, also used in the README):

- **Older residents:** the three-item UCLA Loneliness Scale (Hughes, Waite,
  Hawkley & Cacioppo 2004, *Research on Aging* 26(6)): how often do you feel
  that you lack companionship, feel left out, feel isolated from others?
  Each is answered 1 = hardly ever, 2 = some of the time, 3 = often. The total
  is 3-9; lower is better. A total of 6 or more is a commonly used cut-off for
  "lonely". They are also asked how many good days they had in the last week
  (0-7; more is better).
- **Young helpers:** how much they feel they have a meaningful role in their
  community, and how much they believe in their own future (each 1-5; higher
  is better).
- The first check-in is at enrolment, then one every three months (91 days
  after the previous one).
- Change is after minus before, per measure; whether a change is an
  improvement depends on the measure's direction (`Measure.better`).
- Group results show how many people were measured, the mean change and the
  share who improved. Groups smaller than 5 are marked as not reportable, so
  that no one can be recognised from a small village's figures.

Standard library only; no database and no Flask. Question texts and labels are
English source strings: wrap them for translation at the edge.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Final, Literal

CheckinKind = Literal["elder", "helper"]
Better = Literal["lower", "higher"]

KINDS: Final = ("elder", "helper")
LONELY_CUTOFF: Final = 6
"""UCLA-3 total at or above which a person is counted as lonely."""
DEFAULT_EVERY_DAYS: Final = 91
"""Days between check-ins (about three months)."""
MIN_REPORTABLE_N: Final = 5
"""Smallest group whose aggregate figures may be shown."""


@dataclass(frozen=True, slots=True)
class AnswerOption:
    value: int
    label: str


@dataclass(frozen=True, slots=True)
class Item:
    """One question of a check-in."""

    code: str
    question: str
    options: tuple[AnswerOption, ...]
    measure: str  # code of the Measure this item feeds

    @property
    def values(self) -> tuple[int, ...]:
        return tuple(option.value for option in self.options)

    @property
    def min_value(self) -> int:
        return min(self.values)

    @property
    def max_value(self) -> int:
        return max(self.values)


@dataclass(frozen=True, slots=True)
class Measure:
    """A score computed from one or more items, and which direction is better."""

    code: str
    label: str
    minimum: int
    maximum: int
    better: Better
    items: tuple[str, ...]


_UCLA_OPTIONS: Final = (
    AnswerOption(1, "Hardly ever"),
    AnswerOption(2, "Some of the time"),
    AnswerOption(3, "Often"),
)
_GOOD_DAY_OPTIONS: Final = tuple(AnswerOption(n, "1 day" if n == 1 else f"{n} days") for n in range(8))
_HOW_MUCH_OPTIONS: Final = (
    AnswerOption(1, "Not at all"),
    AnswerOption(2, "A little"),
    AnswerOption(3, "Somewhat"),
    AnswerOption(4, "Quite a lot"),
    AnswerOption(5, "Very much"),
)

ITEMS: Final[Mapping[str, tuple[Item, ...]]] = {
    "elder": (
        Item(
            "ucla_companionship",
            "How often do you feel that you lack companionship?",
            _UCLA_OPTIONS,
            "loneliness_total",
        ),
        Item(
            "ucla_left_out",
            "How often do you feel left out?",
            _UCLA_OPTIONS,
            "loneliness_total",
        ),
        Item(
            "ucla_isolated",
            "How often do you feel isolated from others?",
            _UCLA_OPTIONS,
            "loneliness_total",
        ),
        Item(
            "good_days",
            "In the last week, on how many days did you have a good day?",
            _GOOD_DAY_OPTIONS,
            "good_days",
        ),
    ),
    "helper": (
        Item(
            "meaningful_role",
            "How much do you feel you have a meaningful role in your community?",
            _HOW_MUCH_OPTIONS,
            "meaningful_role",
        ),
        Item(
            "future_belief",
            "How much do you believe in your own future?",
            _HOW_MUCH_OPTIONS,
            "future_belief",
        ),
    ),
}

MEASURES: Final[Mapping[str, tuple[Measure, ...]]] = {
    "elder": (
        Measure(
            "loneliness_total",
            "Loneliness (UCLA 3-item, 3-9)",
            3,
            9,
            "lower",
            ("ucla_companionship", "ucla_left_out", "ucla_isolated"),
        ),
        Measure("good_days", "Good days in the last week (0-7)", 0, 7, "higher", ("good_days",)),
    ),
    "helper": (
        Measure(
            "meaningful_role",
            "Sense of a meaningful role (1-5)",
            1,
            5,
            "higher",
            ("meaningful_role",),
        ),
        Measure("future_belief", "Belief in the future (1-5)", 1, 5, "higher", ("future_belief",)),
    ),
}

# Error codes from validate_answers are "<kind>:<item code>", e.g.
# "missing:ucla_left_out". ERROR_TEXT explains each kind.
ERROR_MISSING: Final = "missing"
ERROR_UNKNOWN_ITEM: Final = "unknown_item"
ERROR_NOT_INTEGER: Final = "not_integer"
ERROR_OUT_OF_RANGE: Final = "out_of_range"

ERROR_TEXT: Final[Mapping[str, str]] = {
    ERROR_MISSING: "This question has not been answered.",
    ERROR_UNKNOWN_ITEM: "This question is not part of the check-in.",
    ERROR_NOT_INTEGER: "The answer must be one of the offered options.",
    ERROR_OUT_OF_RANGE: "The answer is not one of the offered options.",
}


class InvalidAnswers(ValueError):
    """Raised by `score` when answers do not pass `validate_answers`."""

    def __init__(self, errors: list[str]) -> None:
        super().__init__("invalid check-in answers: " + ", ".join(errors))
        self.errors = errors


def _check_kind(kind: str) -> None:
    if kind not in ITEMS:
        raise ValueError(f"check-in kind must be 'elder' or 'helper', got {kind!r}")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def describe_error(code: str) -> str:
    """Plain-English sentence for an error code such as 'missing:good_days'."""
    return ERROR_TEXT[code.partition(":")[0]]


def measures_for(kind: CheckinKind) -> tuple[Measure, ...]:
    _check_kind(kind)
    return MEASURES[kind]


def validate_answers(kind: CheckinKind, answers: Mapping[str, int]) -> list[str]:
    """Error codes for a check-in's answers; an empty list means they are valid.

    Every item must be answered with one of its option values. Errors come in
    question order, then unknown items in alphabetical order.
    """
    _check_kind(kind)
    items = ITEMS[kind]
    errors: list[str] = []
    for item in items:
        if item.code not in answers or answers[item.code] is None:
            errors.append(f"{ERROR_MISSING}:{item.code}")
            continue
        value = answers[item.code]
        if not _is_int(value):
            errors.append(f"{ERROR_NOT_INTEGER}:{item.code}")
        elif value not in item.values:
            errors.append(f"{ERROR_OUT_OF_RANGE}:{item.code}")
    known = {item.code for item in items}
    errors.extend(f"{ERROR_UNKNOWN_ITEM}:{code}" for code in sorted(set(answers) - known))
    return errors


def score(kind: CheckinKind, answers: Mapping[str, int]) -> dict[str, Any]:
    """Scores of one check-in.

    elder:  {"kind": "elder", "loneliness_total": 3-9, "lonely": bool, "good_days": 0-7}
    helper: {"kind": "helper", "meaningful_role": 1-5, "future_belief": 1-5}

    Raises `InvalidAnswers` (a ValueError) if the answers are not valid.
    """
    errors = validate_answers(kind, answers)
    if errors:
        raise InvalidAnswers(errors)
    result: dict[str, Any] = {"kind": kind}
    for measure in MEASURES[kind]:
        result[measure.code] = sum(answers[code] for code in measure.items)
    if kind == "elder":
        result["lonely"] = result["loneliness_total"] >= LONELY_CUTOFF
    return result


def _kind_of(scores: Mapping[str, Any]) -> str:
    kind = scores.get("kind")
    if kind is None:
        for candidate in KINDS:
            if all(m.code in scores for m in MEASURES[candidate]):
                kind = candidate
                break
        else:
            raise ValueError("cannot tell whether these scores are an elder's or a helper's")
    _check_kind(kind)
    for measure in MEASURES[kind]:
        value = scores.get(measure.code)
        if not _is_int(value) or not measure.minimum <= value <= measure.maximum:
            raise ValueError(f"{measure.code} must be an integer {measure.minimum}-{measure.maximum}")
    return kind


def _direction(measure: Measure, difference: int) -> str:
    if difference == 0:
        return "unchanged"
    if (difference < 0) == (measure.better == "lower"):
        return "improved"
    return "worsened"


def change(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, Any]:
    """Change between two scored check-ins of the same person (after minus before).

    {"kind": ..., "measures": {code: {"before", "after", "difference", "better",
    "direction": "improved"|"worsened"|"unchanged", "improved": bool}}}
    For elders also "lonely_before", "lonely_after" and "no_longer_lonely".
    """
    kind = _kind_of(before)
    if _kind_of(after) != kind:
        raise ValueError("before and after must be check-ins of the same kind")
    measures: dict[str, dict[str, Any]] = {}
    for measure in MEASURES[kind]:
        b, a = before[measure.code], after[measure.code]
        direction = _direction(measure, a - b)
        measures[measure.code] = {
            "before": b,
            "after": a,
            "difference": a - b,
            "better": measure.better,
            "direction": direction,
            "improved": direction == "improved",
        }
    result: dict[str, Any] = {"kind": kind, "measures": measures}
    if kind == "elder":
        lonely_before = before["loneliness_total"] >= LONELY_CUTOFF
        lonely_after = after["loneliness_total"] >= LONELY_CUTOFF
        result["lonely_before"] = lonely_before
        result["lonely_after"] = lonely_after
        result["no_longer_lonely"] = lonely_before and not lonely_after
    return result


LONELY: Final = "lonely"
"""The key of the loneliness counts in `change_sums` (beside the measure codes)."""


def change_sums(before: Mapping[str, Any], after: Mapping[str, Any]) -> dict[str, tuple[int, int, int, int, int]]:
    """One pair's part of a group result: {measure code: (1, before, after, improved,
    worsened)}, and for elders {LONELY: (1, lonely before, lonely after, no longer
    lonely, became lonely)}. Group results are sums of these (`summarize`)."""
    result = change(before, after)
    sums = {
        code: (1, m["before"], m["after"], int(m["direction"] == "improved"), int(m["direction"] == "worsened"))
        for code, m in result["measures"].items()
    }
    if result["kind"] == "elder":
        lonely_before, lonely_after = result["lonely_before"], result["lonely_after"]
        sums[LONELY] = (
            1,
            int(lonely_before),
            int(lonely_after),
            int(result["no_longer_lonely"]),
            int(lonely_after and not lonely_before),
        )
    return sums


def aggregate_changes(
    pairs: Iterable[tuple[Mapping[str, Any], Mapping[str, Any]]],
) -> dict[str, Any]:
    """Group result over (before, after) pairs of scored check-ins.

    {"n": pairs, "reportable": n >= MIN_REPORTABLE_N,
     "measures": {code: {"n", "better", "mean_before", "mean_after", "mean_change",
                         "share_improved", "share_worsened", "reportable"}},
     "lonely": {"n", "before", "after", "no_longer_lonely", "became_lonely"}}
    Measures nobody answered are left out; "lonely" only appears when there
    are elder pairs. Elder and helper pairs may be mixed.
    """
    sums: dict[str, list[int]] = {}
    n = 0
    for before, after in pairs:
        n += 1
        for code, part in change_sums(before, after).items():
            acc = sums.setdefault(code, [0, 0, 0, 0, 0])
            for i, value in enumerate(part):
                acc[i] += value
    return summarize(n, sums)


def summarize(n: int, sums: Mapping[str, Sequence[float]]) -> dict[str, Any]:
    """The group result of `aggregate_changes` from ``n`` pairs and the sums of their
    `change_sums` per key (so a group can be summed anywhere, e.g. in a rollup)."""
    measures: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        for measure in MEASURES[kind]:
            if measure.code not in sums or measure.code in measures or not sums[measure.code][0]:
                continue
            count, total_before, total_after, improved, worsened = sums[measure.code]
            measures[measure.code] = {
                "n": int(count),
                "better": measure.better,
                "mean_before": total_before / count,
                "mean_after": total_after / count,
                "mean_change": (total_after - total_before) / count,
                "share_improved": improved / count,
                "share_worsened": worsened / count,
                "reportable": count >= MIN_REPORTABLE_N,
            }
    summary: dict[str, Any] = {
        "n": n,
        "reportable": n >= MIN_REPORTABLE_N,
        "measures": measures,
    }
    lonely = sums.get(LONELY)
    if lonely and lonely[0]:
        summary["lonely"] = dict(
            zip(("n", "before", "after", "no_longer_lonely", "became_lonely"), (int(v) for v in lonely), strict=True)
        )
    return summary


def _require_aware(value: datetime, name: str) -> None:
    if not isinstance(value, datetime):
        raise TypeError(f"{name} must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(f"{name} must be timezone-aware")


def next_due(
    last_taken_at: datetime | None,
    enrolled_at: datetime,
    *,
    every_days: int = DEFAULT_EVERY_DAYS,
) -> datetime:
    """When the next check-in is due.

    The first one is due at enrolment. After that, ``every_days`` after the
    previous one. A check-in taken before the (latest) enrolment does not
    count, so a re-enrolled person gets a fresh first check-in.
    """
    _require_aware(enrolled_at, "enrolled_at")
    if not _is_int(every_days) or every_days < 1:
        raise ValueError("every_days must be a positive integer")
    if last_taken_at is None:
        return enrolled_at
    _require_aware(last_taken_at, "last_taken_at")
    if last_taken_at < enrolled_at:
        return enrolled_at
    return last_taken_at + timedelta(days=every_days)


def is_due(
    last_taken_at: datetime | None,
    enrolled_at: datetime,
    *,
    now: datetime,
    every_days: int = DEFAULT_EVERY_DAYS,
) -> bool:
    """True when a check-in is due at ``now`` (on the due moment or later)."""
    _require_aware(now, "now")
    return now >= next_due(last_taken_at, enrolled_at, every_days=every_days)
