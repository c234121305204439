"""A report as a list of figures: a titled table (and the chart drawn from it).

The page renders every figure as an accessible table with a chart beside it;
the CSV export writes the same tables with small counts suppressed. Keeping
one description for both means the page and the export never disagree.

Cell values are typed so each output can format (or suppress) them:
``int`` is a count of people or things, `Share` a proportion, `Amount` a
number such as hours or a mean, ``str`` a label.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask_babel import format_decimal, format_number, format_percent
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.encounters.labels import KIND_LABELS, MEASURE_LABELS, MEASURE_SCALES, STAGE_LABELS
from app.i18n import current_language
from app.reports.services import Report

MIN_GROUP = 5
"""Counts below this (except 0) are suppressed in exports; means of smaller groups everywhere."""


@dataclass(frozen=True)
class Share:
    """``part`` of ``base``; shown as a percentage."""

    part: int
    base: int

    @property
    def value(self) -> float | None:
        return self.part / self.base if self.base else None


@dataclass(frozen=True)
class Amount:
    """A measured number (hours, a mean) and how many people or things are behind it.

    ``private`` amounts (well-being means) are hidden on the page as well
    when fewer than `MIN_GROUP` people are behind them.
    """

    value: float | None
    base: int
    private: bool = False


@dataclass
class Figure:
    key: str
    title: str
    columns: list[str]
    rows: list[list[Any]]
    chart: dict[str, Any] | None = None
    note: str | None = None
    empty: str | None = None

    @property
    def has_rows(self) -> bool:
        return bool(self.rows)


def is_hidden(value: Any, *, export: bool) -> bool:
    """True when a value must not be shown: a small count (export only) or a small group's mean."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int):
        return export and 0 < value < MIN_GROUP
    if isinstance(value, Share):
        return export and 0 < value.base < MIN_GROUP
    if isinstance(value, Amount):
        return (export or value.private) and value.base < MIN_GROUP and value.value is not None
    return False


def chart_number(value: Any) -> float | int | None:
    """The number a chart draws for a cell (None leaves a gap)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, Share):
        return None if value.value is None else round(value.value * 100, 1)
    if isinstance(value, Amount):
        if value.value is None or (value.private and value.base < MIN_GROUP):
            return None
        return round(value.value, 2)
    return None


def chart_json(figure: Figure) -> dict[str, Any] | None:
    """What `reports.js` needs to draw a figure's chart: labels and one dataset per chosen column."""
    if not figure.chart or not figure.rows:
        return None
    limit = figure.chart.get("limit")
    rows = figure.rows[:limit] if limit else figure.rows
    return {
        "type": figure.chart.get("type", "bar"),
        "stacked": bool(figure.chart.get("stacked")),
        "horizontal": bool(figure.chart.get("horizontal")),
        "percent": bool(figure.chart.get("percent")),
        "labels": [str(row[0]) for row in rows],
        "datasets": [
            {"label": figure.columns[i], "data": [chart_number(row[i]) for row in rows]} for i in figure.chart["series"]
        ],
    }


OUTCOMES = (
    ("matched", _l("Got a helper")),
    ("unmet", _l("Did not get a helper")),
    ("waiting", _l("Still waiting for a helper")),
    ("cancelled_by_elder", _l("Cancelled by the older person or a relative")),
)


def build_figures(report: Report) -> list[Figure]:
    """Every table of the report, in page order."""
    return [
        _summary(report),
        _outcomes(report),
        _tasks(report),
        _areas(report),
        _encounters(report),
        *_funnel(report),
        *_activities(report),
        *_checkins(report),
        _map_table(report),
        _municipalities(report),
    ]


def _summary(report: Report) -> Figure:
    e = report.errands
    ttm = report.time_to_match
    people = report.people
    helpers_behind = people.helpers_active
    rows: list[list[Any]] = [
        [_("Requests taken"), report.requests],
        [_("Errands due"), e.due],
        [_("Errands considered for matching"), e.considered],
        [_("Errands that got a helper"), e.matched],
        [_("Share matched"), Share(e.matched, e.considered)],
        [_("Median time to match (hours)"), Amount(ttm.median_hours, ttm.n)],
        [_("Mean time to match (hours)"), Amount(ttm.mean_hours, ttm.n)],
        [_("Errands without a helper"), e.unmet],
        [_("Encounters"), report.encounters],
        [_("Older people reached"), people.elders_reached],
        [_("Helpers taking part"), people.helpers_active],
        [_("Helper hours"), Amount(people.helper_hours, helpers_behind)],
    ]
    return Figure("summary", _("Summary"), [_("Figure"), _("Value")], rows)


def _outcomes(report: Report) -> Figure:
    e = report.errands
    rows = [[str(label), getattr(e, name)] for name, label in OUTCOMES]
    return Figure(
        "outcomes",
        _("Errands due in the period and what happened to them"),
        [_("Outcome"), _("Errands")],
        rows if e.due else [],
        chart={"type": "doughnut", "series": [1]},
        empty=_("No errands were due in this period."),
    )


def _tasks(report: Report) -> Figure:
    rows = [
        [
            t.name,
            t.requests,
            t.errands.considered,
            t.errands.matched,
            t.errands.unmet,
            Share(t.errands.matched, t.errands.considered),
        ]
        for t in report.asked_tasks
    ]
    return Figure(
        "tasks",
        _("What people asked for and what they did not get, by task type"),
        [
            _("Task type"),
            _("Requests"),
            _("Errands considered"),
            _("Got a helper"),
            _("Without a helper"),
            _("Share matched"),
        ],
        rows,
        chart={"type": "bar", "series": [3, 4], "stacked": True},
        empty=_("No requests or errands in this period."),
    )


def area_label(municipality: str, village: str | None) -> str:
    if not municipality:
        return _("Place not known")
    if village:
        return _("%(municipality)s: %(village)s", municipality=municipality, village=village)
    return _("%(municipality)s: no village given", municipality=municipality)


def _areas(report: Report) -> Figure:
    rows = [
        [
            area_label(a.municipality, a.village),
            a.errands.considered,
            a.errands.unmet,
            Share(a.errands.unmet, a.errands.considered),
        ]
        for a in report.unmet_areas
    ]
    return Figure(
        "areas",
        _("Unmet demand by area"),
        [_("Area"), _("Errands considered"), _("Without a helper"), _("Share without a helper")],
        rows,
        chart={"type": "bar", "series": [2], "horizontal": True, "limit": 12},
        note=_("Areas with the most errands without a helper come first; the chart shows the first 12."),
        empty=_("No errands were due in this period."),
    )


def _encounters(report: Report) -> Figure:
    rows = [
        [str(KIND_LABELS.get(k.kind, k.kind)), k.encounters, Amount(k.minutes / 60, k.encounters)]
        for k in report.encounters_by_kind
    ]
    return Figure(
        "encounters",
        _("Encounters by kind"),
        [_("Kind"), _("Encounters"), _("Hours")],
        rows if report.encounters else [],
        chart={"type": "bar", "series": [1]},
        empty=_("No encounters took place in this period."),
    )


def _activities(report: Report) -> list[Figure]:
    a = report.activities
    if a is None:
        return []
    rows: list[list[Any]] = [
        [_("Activities held"), a.held],
        [_("People reached (invited or signed up)"), a.people_reached],
        [_("People who came"), a.participants],
        [_("Share of them who came back"), Share(a.came_back, a.participants)],
        [_("Activities run by participants"), a.run_by_participants],
    ]
    return [
        Figure(
            "activities",
            _("Shared activities"),
            [_("Figure"), _("Value")],
            rows if (a.held or a.people_reached) else [],
            note=_("Came back: came to more than one activity in the period."),
            empty=_("No shared activities in this period."),
        )
    ]


def _funnel(report: Report) -> list[Figure]:
    funnel = report.funnel
    if not funnel:
        return []
    helpers, elders = funnel["helpers"], funnel["elders"]
    stage_rows = [
        [
            str(STAGE_LABELS[stage]),
            helpers["start"][stage],
            helpers["end"][stage],
            elders["start"][stage],
            elders["end"][stage],
        ]
        for stage in sorted(helpers["end"])
    ]
    groups = (("helpers", _("Young helpers")), ("elders", _("Older people")), ("pairs", _("Pairs")))
    moves = [
        [label, funnel[key]["total"], funnel[key]["moved_up"], funnel[key]["unchanged"], funnel[key]["moved_down"]]
        for key, label in groups
    ]
    return [
        Figure(
            "funnel",
            _("The three stages: people per stage at the start and end of the period"),
            [
                _("Stage"),
                _("Helpers at the start"),
                _("Helpers at the end"),
                _("Older people at the start"),
                _("Older people at the end"),
            ],
            stage_rows,
            chart={"type": "bar", "series": [1, 2, 3, 4]},
        ),
        Figure(
            "movement",
            _("How people and pairs moved between stages during the period"),
            [_("Group"), _("People or pairs"), _("Moved up"), _("Stayed"), _("Moved down")],
            moves,
            chart={"type": "bar", "series": [2, 3, 4], "stacked": True, "horizontal": True},
        ),
    ]


def _checkins(report: Report) -> list[Figure]:
    data = report.checkins
    if data is None:
        return []
    rows: list[list[Any]] = []
    for code, m in data.get("measures", {}).items():
        n = m["n"]
        label = _("%(measure)s (%(scale)s)", measure=MEASURE_LABELS.get(code, code), scale=MEASURE_SCALES.get(code, ""))
        rows.append(
            [
                label,
                n,
                Amount(m["mean_before"], n, private=True),
                Amount(m["mean_after"], n, private=True),
                Amount(m["mean_change"], n, private=True),
                Amount(m["share_improved"] * 100, n, private=True),
            ]
        )
    figures = [
        Figure(
            "checkins",
            _("Well-being check-ins before and after"),
            [_("Measure"), _("People"), _("Mean before"), _("Mean after"), _("Mean change"), _("Improved (%)")],
            rows,
            chart={"type": "bar", "series": [2, 3]},
            note=_(
                "Before is a person's first check-in, after their latest one in the period. Means of fewer "
                "than 5 people are not shown so that no one can be recognised."
            ),
            empty=_("Nobody has a check-in before and after in this period yet."),
        )
    ]
    lonely = data.get("lonely")
    if lonely:
        n = lonely["n"]
        figures.append(
            Figure(
                "loneliness",
                _("Loneliness (3-item scale, 6 or more counts as lonely)"),
                [_("Older people"), _("Number")],
                [
                    [_("Measured before and after"), n],
                    [_("Lonely before"), lonely["before"]],
                    [_("Lonely after"), lonely["after"]],
                    [_("No longer lonely"), lonely["no_longer_lonely"]],
                    [_("Became lonely"), lonely["became_lonely"]],
                ],
            )
        )
    return figures


def _map_table(report: Report) -> Figure:
    rows = [[area_label(p.municipality, p.village), p.requests, p.helpers] for p in report.map_points]
    if report.unplaced_requests or report.unplaced_helpers:
        rows.append([_("Place not known"), report.unplaced_requests, report.unplaced_helpers])
    return Figure(
        "map",
        _("Requests and helpers by village"),
        [_("Area"), _("Requests"), _("Helpers")],
        rows,
        note=_(
            "Requests taken in the period by where the older person lives, and the approved helpers of today by "
            "where they live. Both are shown at the village centre, never at anyone's home."
        ),
        empty=_("No requests or helpers in this selection."),
    )


def _municipalities(report: Report) -> Figure:
    rows = [
        [
            r.name or _("Place not known"),
            r.requests,
            r.errands.considered,
            r.errands.matched,
            r.errands.unmet,
            r.encounters,
        ]
        for r in report.municipalities
    ]
    return Figure(
        "municipalities",
        _("By municipality"),
        [
            _("Municipality"),
            _("Requests"),
            _("Errands considered"),
            _("Got a helper"),
            _("Without a helper"),
            _("Encounters"),
        ],
        rows,
        chart={"type": "bar", "series": [1, 3, 4, 5]},
        empty=_("Nothing in this selection."),
    )


def page_cell(value: Any) -> str:
    """A cell as the page shows it, in the user's language."""
    if value is None:
        return "–"
    if is_hidden(value, export=False):
        return _("fewer than 5")
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return format_number(value)
    if isinstance(value, Share):
        if value.value is None:
            return "–"
        # Finnish and Swedish put a (non-breaking) space before the per cent sign, English does not.
        return format_percent(value.value, "#,##0.#%" if current_language() == "en" else "#,##0.#\u00a0%")
    if isinstance(value, Amount):
        return "–" if value.value is None else format_decimal(value.value, "#,##0.#")
    return str(value)
