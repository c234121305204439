"""Report rollups: what the report page sums instead of reading every errand and encounter.

Each table holds one row per local (Helsinki) day and area and whatever else the
report groups by; none of them is ever edited by hand. :mod:`app.rollups` owns
them: it rebuilds a (day, municipality) bucket from the base tables whenever
something in it changes (in the same transaction), and rebuilds a range of days
for repair or the first fill. Person ids are plain integers (no foreign keys):
the rows are derived data and are rebuilt, never cascaded.
"""

from __future__ import annotations

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.models.base import Base


class _AreaDay:
    """What every rollup row is keyed by: a local day, the organization and the municipality."""

    id: Mapped[int] = mapped_column(primary_key=True)
    day: Mapped[date] = mapped_column(index=True)
    organization_id: Mapped[int | None]
    municipality_id: Mapped[int | None]


class _VillageDay(_AreaDay):
    """An _AreaDay also kept by village."""

    village_id: Mapped[int | None]


class RollupErrandDay(_VillageDay, Base):
    """Errands due on a day, by organization, area (where the older person lives) and task type."""

    __tablename__ = "rollup_errand_days"
    __table_args__ = (sa.Index("ix_rollup_errand_days_muni_day", "municipality_id", "day"),)

    task_type_id: Mapped[int]
    due: Mapped[int] = mapped_column(default=0)
    cancelled_by_elder: Mapped[int] = mapped_column(default=0)
    waiting_if_ahead: Mapped[int] = mapped_column(default=0)  # no helper yet, still open or offered
    matched: Mapped[int] = mapped_column(default=0)  # got a helper, not cancelled by the older person
    done: Mapped[int] = mapped_column(default=0)
    match_seconds: Mapped[float] = mapped_column(sa.Float, default=0.0)  # sum over the matched
    done_minutes: Mapped[int] = mapped_column(default=0)  # minutes of done assignments


class RollupMatchMinutes(_VillageDay, Base):
    """How long matched errands waited for a helper, to the nearest minute (for the median)."""

    __tablename__ = "rollup_match_minutes"
    __table_args__ = (sa.Index("ix_rollup_match_minutes_muni_day", "municipality_id", "day"),)

    minutes: Mapped[int]
    errands: Mapped[int]


class RollupRequestDay(_VillageDay, Base):
    """Requests taken on a day, by organization, area and task type."""

    __tablename__ = "rollup_request_days"
    __table_args__ = (sa.Index("ix_rollup_request_days_muni_day", "municipality_id", "day"),)

    task_type_id: Mapped[int]
    requests: Mapped[int]


class RollupEncounterDay(_AreaDay, Base):
    """Encounters of a day by organization, municipality (where it took place) and kind."""

    __tablename__ = "rollup_encounter_days"
    __table_args__ = (sa.Index("ix_rollup_encounter_days_muni_day", "municipality_id", "day"),)

    kind: Mapped[str] = mapped_column(sa.String(20))
    encounters: Mapped[int]
    minutes: Mapped[int]
    helper_minutes: Mapped[int]  # length once per young participant, encounters not made from an errand


class RollupPersonDay(_AreaDay, Base):
    """Who took part on a day (distinct counts over a period do not add up, so the people are kept).

    ``source``: "encounter" (a participant) or "errand" (the older person of a
    done errand, or a helper with a done assignment).
    """

    __tablename__ = "rollup_person_days"
    # Covering: the distinct count reads the index alone.
    __table_args__ = (
        sa.Index(
            "ix_rollup_person_days_muni_day",
            "municipality_id",
            "day",
            "organization_id",
            "source",
            "person_kind",
            "person_id",
        ),
    )

    source: Mapped[str] = mapped_column(sa.String(9))
    person_kind: Mapped[str] = mapped_column(sa.String(6))  # helper|elder
    person_id: Mapped[int]


class RollupCheckinDay(_AreaDay, Base):
    """Well-being check-ins for the before/after change, by the local day a check-in was
    taken and the person's organization and municipality (where they live now).

    Change rows (``measure``: a measure code, ``lonely`` or ``pairs``): each of a
    person's check-ins taken after their first, paired with the first ("before");
    ``next_day`` is the day of the person's next check-in (None: none yet). Such a
    check-in is the person's latest of a period [since, until] exactly when
    ``since <= day <= until < next_day``, so a period's change is a sum of rows.
    ``before_sum`` / ``after_sum`` sum the measure's values (``lonely``: how many
    were lonely), ``improved`` / ``worsened`` count the directions (``lonely``: no
    longer lonely / became lonely); ``pairs`` rows count the pairs alone.

    People rows (``measure`` ``people``, no ``next_day``): ``n`` people whose first
    check-in was that day.
    """

    __tablename__ = "rollup_checkin_days"
    __table_args__ = (sa.Index("ix_rollup_checkin_days_muni_day", "municipality_id", "day"),)

    next_day: Mapped[date | None]
    subject_kind: Mapped[str] = mapped_column(sa.String(8))  # helper|elder
    measure: Mapped[str] = mapped_column(sa.String(24))
    n: Mapped[int]
    before_sum: Mapped[int] = mapped_column(default=0)
    after_sum: Mapped[int] = mapped_column(default=0)
    improved: Mapped[int] = mapped_column(default=0)
    worsened: Mapped[int] = mapped_column(default=0)


class RollupPeopleCount(Base):
    """How many helpers and older people there are now, by organization, municipality,
    village and status (not by day: the report counts today's people in its areas).

    :mod:`app.rollups` recounts a group whenever a person joins it or leaves it
    (seen on every flush), and every group on a rebuild and in the nightly repair.
    """

    __tablename__ = "rollup_people_counts"
    __table_args__ = (
        sa.Index("ix_rollup_people_counts_scope", "person_kind", "status", "municipality_id", "organization_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    person_kind: Mapped[str] = mapped_column(sa.String(6))  # helper|elder
    organization_id: Mapped[int | None]
    municipality_id: Mapped[int | None]
    village_id: Mapped[int | None]
    status: Mapped[str] = mapped_column(sa.String(16))
    people: Mapped[int]


class StageChange(Base):
    """A person's or pair's stage from ``at`` until ``ends_at`` (their next change), from their encounters.

    The stage of a subject at a moment is the one row with ``at <= moment <
    ends_at`` (or ``ends_at`` empty), so the funnel counts moves in SQL.

    Overrides are not in it: the reports apply the coordinators' overrides on
    top, as the stage pages do.

    The person's (a pair's: the older person's) organization, municipality and
    whether their status is counted in the funnel are copied here and kept in
    step when they change (:mod:`app.rollups`), so the funnel reads its scope's
    rows by an index range.
    """

    __tablename__ = "stage_changes"
    __table_args__ = (
        sa.Index("ix_stage_changes_helper", "subject_kind", "helper_id", "at"),
        sa.Index("ix_stage_changes_elder", "subject_kind", "elder_id", "at"),
        # The funnel's scope as an index range, covering (the funnel reads the index alone).
        sa.Index(
            "ix_stage_changes_scope",
            "subject_kind",
            "in_funnel",
            "municipality_id",
            "organization_id",
            "at",
            "helper_id",
            "elder_id",
            "ends_at",
            "stage",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_kind: Mapped[str] = mapped_column(sa.String(8))  # helper|elder|pair
    helper_id: Mapped[int | None]
    elder_id: Mapped[int | None]
    at: Mapped[datetime]
    ends_at: Mapped[datetime | None]  # the subject's next change (None: the stage holds on)
    stage: Mapped[int]
    organization_id: Mapped[int | None]
    municipality_id: Mapped[int | None]
    in_funnel: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
