"""Reads for the coordinator's errand pages: who may see what, one errand with
its whole history, the errands of a day or a week, and what needs attention.

Every read eager-loads what its page shows, so the number of queries per page
does not grow with the data.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload

from app import policy
from app.extensions import db
from app.i18n import HELSINKI, local_midnight
from app.models import (
    Assignment,
    ContactPerson,
    CoordinatorAlert,
    Elder,
    Errand,
    ErrandEvent,
    HelperProfile,
    HelpRequest,
    Offer,
    TaskType,
    User,
    Village,
    utcnow,
)

#: An errand still without a helper this close to its start needs attention.
SOON = timedelta(hours=48)
#: An offer nobody answered for this long needs attention.
UNANSWERED_AFTER = timedelta(hours=12)
WITHOUT_HELPER = ("open", "offered")
#: How many errands with unanswered offers the day and week pages list (soonest first).
UNANSWERED_SHOWN = 20
#: What the day and week pages show of an open alert (and describe in the reader's language).
ALERT_COLUMNS = tuple(
    getattr(CoordinatorAlert, name)
    for name in ("id", "kind", "message", "created_at", "errand_id", "elder_id", "helper_id")
    + ("contact_id", "activity_id")
)


#: One errand with its person, task, request and helpers: built once (its eager loads' options
#: are a good part of building it), run with the errand's id.
_ERRAND = (
    sa.select(Errand)
    .where(Errand.id == sa.bindparam("errand_id"))
    .options(
        joinedload(Errand.elder).joinedload(Elder.village),
        joinedload(Errand.elder).joinedload(Elder.municipality),
        joinedload(Errand.task_type),
        joinedload(Errand.request).joinedload(HelpRequest.requested_by_contact),
        joinedload(Errand.request).joinedload(HelpRequest.preferred_helper),
        # In the same statement: an errand has a helper or a few.
        joinedload(Errand.assignments).joinedload(Assignment.helper),
    )
)


def load_errand(errand_id: int) -> Errand | None:
    """One errand with its person, task, request and helpers (what its page and the
    checks of its actions read); its offers and history are read as plain rows
    (:func:`errand_offers`, :func:`errand_history`), or loaded when first used."""
    return db.session.scalars(_ERRAND, {"errand_id": errand_id}).unique().one_or_none()


@dataclass(frozen=True, slots=True)
class ErrandHead:
    """What the errand page reads of its errand on every request (plain columns of one
    statement, :func:`errand_head`): what it checks (the scope), decides (cancel, no-show,
    whether its kept ranking and facts fit) and heads the page with. The whole errand
    (:func:`load_errand`) is loaded only to rank it afresh or to render its facts afresh."""

    id: int
    request_id: int
    organization_id: int
    elder_id: int
    state: str
    starts_at: datetime
    ends_at: datetime
    task: str  # the task type's name in the reader's language
    elder_first_name: str
    elder_name: str  # full name
    taken_by_id: int | None  # the coordinator who took the request


@functools.cache
def _head_statement(language: str) -> sa.Select:
    return (
        sa.select(
            Errand.id,
            Errand.request_id,
            Errand.organization_id,
            Errand.elder_id,
            Errand.state,
            Errand.starts_at,
            Errand.ends_at,
            getattr(TaskType, TaskType.name_column(language)).label("task"),
            Elder.first_name,
            Elder.last_name,
            HelpRequest.taken_by_id,
        )
        .join(TaskType, TaskType.id == Errand.task_type_id)
        .join(Elder, Elder.id == Errand.elder_id)
        .join(HelpRequest, HelpRequest.id == Errand.request_id)
        .where(Errand.id == sa.bindparam("errand_id"))
    )


def errand_head(errand_id: int, *, language: str) -> ErrandHead | None:
    """The errand's :class:`ErrandHead` (one statement, no ORM objects), the task in ``language``."""
    row = db.session.connection().execute(_head_statement(language), {"errand_id": errand_id}).first()
    if row is None:
        return None
    return ErrandHead(
        id=row.id,
        request_id=row.request_id,
        organization_id=row.organization_id,
        elder_id=row.elder_id,
        state=row.state,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        task=row.task,
        elder_first_name=row.first_name,
        elder_name=Elder.name_of(row.first_name, row.last_name),
        taken_by_id=row.taken_by_id,
    )


def head_of(errand: Errand, *, language: str) -> ErrandHead:
    """The :class:`ErrandHead` of an errand loaded by :func:`load_errand` (no statement)."""
    return ErrandHead(
        id=errand.id,
        request_id=errand.request_id,
        organization_id=errand.organization_id,
        elder_id=errand.elder_id,
        state=errand.state,
        starts_at=errand.starts_at,
        ends_at=errand.ends_at,
        task=errand.task_type.name(language),
        elder_first_name=errand.elder.first_name,
        elder_name=errand.elder.full_name,
        taken_by_id=errand.request.taken_by_id,
    )


@dataclass(frozen=True, slots=True)
class ListedOffer:
    """One offer of an errand as its page shows it (plain columns, the helper's name read with it)."""

    helper_id: int
    helper_name: str
    rank: int | None
    status: str
    sent_at: datetime
    expires_at: datetime | None
    responded_at: datetime | None
    responded_via: str | None


@dataclass(frozen=True, slots=True)
class HistoryEvent:
    """One transition of an errand's state as its page shows it."""

    at: datetime
    from_state: str | None
    to_state: str
    actor_user_id: int | None  # the user who made it, if one did, and their name
    actor_name: str | None
    actor_kind: str
    note: str | None


_OFFERS = (
    sa.select(
        Offer.helper_id,
        HelperProfile.first_name,
        HelperProfile.last_name,
        Offer.rank,
        Offer.status,
        Offer.sent_at,
        Offer.expires_at,
        Offer.responded_at,
        Offer.responded_via,
    )
    .join(HelperProfile, HelperProfile.id == Offer.helper_id)
    .where(Offer.errand_id == sa.bindparam("errand_id"))
    .order_by(Offer.id)
)

_HISTORY = (
    sa.select(
        ErrandEvent.at,
        ErrandEvent.from_state,
        ErrandEvent.to_state,
        ErrandEvent.actor_user_id,
        User.name.label("actor_name"),
        ErrandEvent.actor_kind,
        ErrandEvent.note,
    )
    .outerjoin(User, User.id == ErrandEvent.actor_user_id)
    .where(ErrandEvent.errand_id == sa.bindparam("errand_id"))
    .order_by(ErrandEvent.id)
)


def errand_offers(errand_id: int) -> list[ListedOffer]:
    """The errand's offers, oldest first, with their helpers' names (one statement, no ORM objects)."""
    return [
        ListedOffer(
            helper_id=row.helper_id,
            helper_name=HelperProfile.name_of(row.first_name, row.last_name),
            rank=row.rank,
            status=row.status,
            sent_at=row.sent_at,
            expires_at=row.expires_at,
            responded_at=row.responded_at,
            responded_via=row.responded_via,
        )
        for row in _run(_OFFERS, errand_id=errand_id)
    ]


def errand_history(errand_id: int) -> list[HistoryEvent]:
    """The errand's state changes, oldest first, with who made them (one statement, no ORM objects)."""
    return [HistoryEvent(*row) for row in _run(_HISTORY, errand_id=errand_id)]


def load_request(request_id: int) -> HelpRequest | None:
    return db.session.scalar(
        sa.select(HelpRequest)
        .where(HelpRequest.id == request_id)
        .options(
            joinedload(HelpRequest.elder).joinedload(Elder.village),
            joinedload(HelpRequest.task_type),
            joinedload(HelpRequest.requested_by_contact),
            joinedload(HelpRequest.preferred_helper),
            selectinload(HelpRequest.errands).selectinload(Errand.assignments).joinedload(Assignment.helper),
        )
    )


@dataclass(frozen=True, slots=True)
class ListedErrand:
    """An errand as the day, week and attention lists show it: plain columns
    read in one statement, no ORM objects (a day page lists a hundred)."""

    id: int
    starts_at: datetime
    ends_at: datetime
    state: str
    task: str  # the task type's name in the reader's language
    elder_name: str
    village: str | None
    helpers: tuple[str, ...] = ()  # the active or done helpers' names
    pending_offers: int = 0


def _run(statement: sa.Select, **params) -> list:
    """A statement built once (below), run on the session's connection: rows, no ORM objects."""
    return db.session.connection().execute(statement, params).all()


def _listed_statement(language: str) -> sa.Select:
    """The columns of :class:`ListedErrand` (without helpers and offers), the task in ``language``."""
    return (
        sa.select(
            Errand.id,
            Errand.starts_at,
            Errand.ends_at,
            Errand.state,
            getattr(TaskType, TaskType.name_column(language)).label("task"),
            Elder.first_name,
            Elder.last_name,
            Village.name.label("village"),
        )
        .join(TaskType, TaskType.id == Errand.task_type_id)
        .join(Elder, Elder.id == Errand.elder_id)
        .outerjoin(Village, Village.id == Elder.village_id)
    )


def _listed(row, helpers: tuple[str, ...] = (), pending_offers: int = 0) -> ListedErrand:
    return ListedErrand(
        id=row.id,
        starts_at=row.starts_at,
        ends_at=row.ends_at,
        state=row.state,
        task=row.task,
        elder_name=Elder.name_of(row.first_name, row.last_name),
        village=row.village,
        helpers=helpers,
        pending_offers=pending_offers,
    )


# The statements of the day, week and attention lists, built once per language and
# scope shape (a coordinator's organizations, or an admin's all); only parameters change.
_IDS = sa.bindparam("ids", expanding=True)


@functools.cache
def _between_statement(language: str, scoped: bool) -> sa.Select:
    pending = (
        sa.select(sa.func.count())
        .where(Offer.errand_id == Errand.id, Offer.status == "pending")
        .scalar_subquery()
        .label("pending_offers")
    )
    return (
        _listed_statement(language)
        .add_columns(pending)
        .where(
            policy.scope_bound(Errand.organization_id, scoped),
            Errand.starts_at >= sa.bindparam("start"),
            Errand.starts_at < sa.bindparam("end"),
        )
        .order_by(Errand.starts_at, Errand.id)
    )


_HELPERS = (
    sa.select(Assignment.errand_id, HelperProfile.first_name, HelperProfile.last_name)
    .join(HelperProfile, HelperProfile.id == Assignment.helper_id)
    .where(Assignment.errand_id.in_(_IDS), Assignment.status.in_(("active", "done")))
    .order_by(Assignment.id)
)


def errands_between(
    scope: set[int] | None, start: datetime, end: datetime, *, language: str = "fi"
) -> list[ListedErrand]:
    """Errands starting in ``[start, end)`` in the organizations, by start time,
    with their helpers and the number of offers waiting for an answer.
    Two statements, whatever the number of errands."""
    rows = _run(_between_statement(language, scope is not None), start=start, end=end, **policy.scope_params(scope))
    ids = [row.id for row in rows] or [-1]
    helpers: dict[int, list[str]] = {}
    for a in _run(_HELPERS, ids=ids):
        helpers.setdefault(a.errand_id, []).append(HelperProfile.name_of(a.first_name, a.last_name))
    return [_listed(row, tuple(helpers.get(row.id, ())), row.pending_offers) for row in rows]


def errands_by_day(
    scope: set[int] | None, first: date, days: int, *, language: str = "fi"
) -> list[tuple[date, list[ListedErrand]]]:
    """The errands of ``days`` local days from ``first``, grouped by local day (empty days too)."""
    errands = errands_between(
        scope, local_midnight(first), local_midnight(first + timedelta(days=days)), language=language
    )
    groups: dict[date, list[ListedErrand]] = {first + timedelta(days=i): [] for i in range(days)}
    for errand in errands:
        groups.setdefault(errand.starts_at.astimezone(HELSINKI).date(), []).append(errand)
    return sorted(groups.items())


@dataclass(frozen=True, slots=True)
class UnansweredOffer:
    id: int
    helper_id: int
    helper_name: str


@dataclass
class UnansweredErrand:
    errand: ListedErrand
    offers: list[UnansweredOffer] = field(default_factory=list)


@dataclass
class Attention:
    """What a coordinator should act on now."""

    soon_without_helper: list[ListedErrand]
    unanswered: list[UnansweredErrand]  # the soonest UNANSWERED_SHOWN of them
    alerts: list  # rows of ALERT_COLUMNS
    unanswered_total: int = 0

    @property
    def count(self) -> int:
        return len(self.soon_without_helper) + max(self.unanswered_total, len(self.unanswered)) + len(self.alerts)


def _without_helper(scoped: bool) -> sa.ColumnElement[bool]:
    """Errands of the organizations still without a helper, from ``now`` on."""
    return sa.and_(
        policy.scope_bound(Errand.organization_id, scoped),
        Errand.state.in_(WITHOUT_HELPER),
        Errand.starts_at >= sa.bindparam("now"),
    )


def _unanswered_offer(scoped: bool) -> sa.ColumnElement[bool]:
    """An offer nobody answered (expired, or pending past ``answer_by`` or its own
    deadline) on an errand still without a helper."""
    return sa.and_(
        _without_helper(scoped),
        sa.or_(
            Offer.status == "expired",
            sa.and_(
                Offer.status == "pending",
                sa.or_(Offer.sent_at < sa.bindparam("answer_by"), Offer.expires_at < sa.bindparam("now")),
            ),
        ),
    )


@functools.cache
def _attention_statements(language: str, scoped: bool) -> dict[str, sa.Select]:
    with_unanswered = (
        sa.select(Errand.id, Errand.starts_at)
        .join(Offer, Offer.errand_id == Errand.id)
        .where(_unanswered_offer(scoped))
        .distinct()
        .subquery()
    )
    return {
        "soon": _listed_statement(language)
        .where(_without_helper(scoped), Errand.starts_at < sa.bindparam("soon_end"))
        .order_by(Errand.starts_at, Errand.id),
        # The soonest ones, and how many there are in all (a window count: one pass).
        "first": sa.select(with_unanswered.c.id, sa.func.count().over().label("total"))
        .order_by(with_unanswered.c.starts_at, with_unanswered.c.id)
        .limit(UNANSWERED_SHOWN),
        # Those errands with their unanswered offers, one row per offer.
        "offers": _listed_statement(language)
        .add_columns(
            Offer.id.label("offer_id"),
            Offer.helper_id,
            HelperProfile.first_name.label("helper_first_name"),
            HelperProfile.last_name.label("helper_last_name"),
        )
        .join(Offer, Offer.errand_id == Errand.id)
        .join(HelperProfile, HelperProfile.id == Offer.helper_id)
        .where(Errand.id.in_(_IDS), _unanswered_offer(scoped))
        .order_by(Errand.starts_at, Errand.id, Offer.id),
        # The open alerts, newest first, as rows of the columns app.alerts.describe_all reads.
        "alerts": sa.select(*ALERT_COLUMNS)
        .where(policy.scope_bound(CoordinatorAlert.organization_id, scoped), CoordinatorAlert.resolved_at.is_(None))
        .order_by(CoordinatorAlert.created_at.desc())
        .limit(50),
    }


def needs_attention(
    scope: set[int] | None, now: datetime | None = None, *, language: str = "fi", with_alerts: bool = True
) -> Attention:
    """Errands without a helper starting within 48 hours, offers nobody answered
    (pending over 12 hours or expired) on errands still without a helper, and
    open coordinator alerts (late withdrawals and the like; not read ``with_alerts=False``).

    Of the errands with unanswered offers only the soonest
    :data:`UNANSWERED_SHOWN` are read (with those offers' helpers); the rest
    are counted. Four statements, whatever the number of errands and offers:
    the errands are found on ``ix_errands_org_state_starts_at``, their offers
    on the offers' errand index.
    """
    now = now or utcnow()
    statements = _attention_statements(language, scope is not None)
    params = {"now": now, "answer_by": now - UNANSWERED_AFTER, **policy.scope_params(scope)}
    soon = [_listed(row) for row in _run(statements["soon"], soon_end=now + SOON, **params)]
    first = _run(statements["first"], **params)
    shown_ids = [row.id for row in first] or [-1]
    total = first[0].total if first else 0
    unanswered: dict[int, UnansweredErrand] = {}
    for row in _run(statements["offers"], ids=shown_ids, **params):
        name = HelperProfile.name_of(row.helper_first_name, row.helper_last_name)
        unanswered.setdefault(row.id, UnansweredErrand(_listed(row))).offers.append(
            UnansweredOffer(row.offer_id, row.helper_id, name)
        )
    return Attention(
        soon_without_helper=soon,
        unanswered=list(unanswered.values()),
        alerts=open_alerts(scope) if with_alerts else [],
        unanswered_total=total,
    )


def open_alerts(scope: set[int] | None) -> list:
    """The newest 50 open coordinator alerts of the organizations, as rows of :data:`ALERT_COLUMNS`."""
    return _run(_attention_statements("fi", scope is not None)["alerts"], **policy.scope_params(scope))


def elder_choices(scope: set[int] | None, query: str = "", limit: int = 300) -> list[Elder]:
    """Active older people of the organizations for the intake page, by name;
    ``query`` matches a part of the name, of the street address, or of their or a
    contact person's phone number."""
    stmt = (
        sa.select(Elder)
        .where(policy.scope_bound(Elder.organization_id, scope is not None), Elder.status == "active")
        .options(joinedload(Elder.village))
        .order_by(Elder.last_name, Elder.first_name, Elder.id)
        .limit(limit)
    )
    words = query.split()
    for word in words:
        digits = "".join(ch for ch in word if ch.isdigit())
        like = f"%{word.lower()}%"
        conditions = [
            sa.func.lower(Elder.first_name).like(like),
            sa.func.lower(Elder.last_name).like(like),
            sa.func.lower(Elder.street_address).like(like),
        ]
        if len(digits) >= 3:
            number = f"%{digits.lstrip('0')}%"
            relative = sa.select(ContactPerson.id).where(
                ContactPerson.elder_id == Elder.id, ContactPerson.phone.like(number)
            )
            conditions += [Elder.phone.like(number), relative.exists()]
        stmt = stmt.where(sa.or_(*conditions))
    return list(db.session.scalars(stmt, policy.scope_params(scope)))
