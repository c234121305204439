"""Who may see and act on what: the one home of the organization rule.

**Helpers and errands.** A helper's organizations are their profile's
(``HelperProfile.organization_id``) and any their account is a member of
(``user_organizations``, e.g. a 4H helper who also helps the parish). An
errand of organization *O* for a person living in municipality *M* is in the
reach of a helper when one of their organizations *H*

* is *O* (the errand's own organization), or
* has an explicit partnership with *O* (``organization_partnerships``, added
  and removed by an admin, audited) **and** serves *M*
  (``organization_municipalities``).

Only such helpers may be offered the errand, see it on their board and take it
(on the web, by SMS, or be assigned by a coordinator). The person's details
are shown only to a helper holding an active or done assignment of the errand
inside its details window; only the assignment's own helper may withdraw.
The hard rules of the matcher (approval, pause, consent, minors' hours, busy,
distance) are checked after this rule, in :mod:`app.errands.eligibility`.

**Coordinators.** A coordinator sees and changes people (older residents,
helpers), requests, errands, encounters and stage overrides of their own
organizations only; admins see everything. Of a partner's helper a
coordinator sees only the display name (first name and initial) where that
helper appears on their own organization's errand, encounter or pair.
A pair (helper, older resident) belongs to the older resident's organization:
its coordinator may see and change it when the helper is of their
organizations or of a partner of the older resident's organization.

Every answer comes as a :class:`Decision` (``allowed``, a reason ``code`` and
a translatable ``message``). The same rule is also given as SQL conditions
for the statements that must stay one indexed query (the board, the
ranking); ``tests/policy`` proves the Python answer and the SQL agree.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from app.extensions import db
from app.models import Assignment, Elder, Errand, HelperProfile, Municipality, Organization, User
from app.models.org import organization_municipalities, organization_partnerships
from app.models.user import user_organizations

#: Reason codes and what the user reads (one table for every channel on the web;
#: the SMS channel answers each code in its own short words, see app.errands.error_texts.refusal_reply).
REASONS = {
    "other_organization": _l("it belongs to an organization you do not help for"),
    "no_assignment": _l("it is not your errand"),
    "details_closed": _l("the person's details are no longer shown for this errand"),
    "not_your_organization": _l("it belongs to another organization"),
    "no_role": _l("your role does not allow this"),
}


@dataclass(frozen=True, slots=True)
class Decision:
    """The answer to "may ...?": ``allowed``, and when not, why (``code``)."""

    allowed: bool
    code: str | None = None

    def __bool__(self) -> bool:
        return self.allowed

    @property
    def message(self) -> str:
        return str(REASONS.get(self.code or "", "")) if self.code else ""


ALLOW = Decision(True)


def _refuse(code: str) -> Decision:
    return Decision(False, code)


# --------------------------------------------------------------------------
# Helpers and errands
# --------------------------------------------------------------------------


def are_partners(organization_id: int, partner_id: int) -> bool:
    return bool(
        db.session.scalar(
            sa.select(sa.literal(1)).where(
                organization_partnerships.c.organization_id == organization_id,
                organization_partnerships.c.partner_id == partner_id,
            )
        )
    )


def partners_of(organization_id: int) -> set[int]:
    """The organizations with a partnership with this one."""
    return set(
        db.session.scalars(
            sa.select(organization_partnerships.c.partner_id).where(
                organization_partnerships.c.organization_id == organization_id
            )
        )
    )


def helper_org_ids(helper: HelperProfile) -> set[int]:
    """The helper's organizations: the profile's and their account's."""
    user = helper.user or db.session.get(User, helper.user_id)
    own = {helper.organization_id} if helper.organization_id is not None else set()
    return own | (user.organization_ids if user is not None else set())


def in_reach(helper_orgs: Collection[int], errand_org_id: int, municipality_id: int | None) -> bool:
    """The organization rule on plain ids (see the module docstring)."""
    mine = set(helper_orgs)
    if errand_org_id in mine:
        return True
    if municipality_id is None or not mine:
        return False
    om, op = organization_municipalities, organization_partnerships
    return bool(
        db.session.scalar(
            sa.select(sa.literal(1))
            .select_from(op)
            .join(om, om.c.organization_id == op.c.partner_id)
            .where(
                op.c.organization_id == errand_org_id,
                op.c.partner_id.in_(sorted(mine)),
                om.c.municipality_id == municipality_id,
            )
            .limit(1)
        )
    )


def _errand_municipality(errand: Errand) -> int | None:
    elder = errand.elder or db.session.get(Elder, errand.elder_id)
    return elder.municipality_id if elder is not None else None


def helper_may_see_errand(helper: HelperProfile, errand: Errand) -> Decision:
    """May the helper see this errand (board, offer SMS)? The organization rule."""
    if in_reach(helper_org_ids(helper), errand.organization_id, _errand_municipality(errand)):
        return ALLOW
    return _refuse("other_organization")


#: Offering, taking (web, SMS, direct assignment) and seeing follow the same rule.
helper_may_be_offered = helper_may_see_errand
helper_may_take = helper_may_see_errand


def helper_may_see_details(helper: HelperProfile, errand: Errand, now: datetime) -> tuple[Decision, Assignment | None]:
    """May the helper see the person's details (first name, address, phone, access
    notes)? Only with an active or done assignment of the errand, until its
    ``details_visible_until``. Returns the assignment that allows it."""
    assignment = db.session.scalar(
        sa.select(Assignment)
        .where(
            Assignment.errand_id == errand.id,
            Assignment.helper_id == helper.id,
            Assignment.status.in_(("active", "done")),
            Assignment.details_visible_until.is_not(None),
        )
        .order_by(Assignment.id.desc())
        .limit(1)
    )
    if assignment is None:
        return _refuse("no_assignment"), None
    if assignment.details_visible_until is None or now > assignment.details_visible_until:
        return _refuse("details_closed"), None
    return ALLOW, assignment


def helper_may_act_on_assignment(helper: HelperProfile, assignment: Assignment) -> Decision:
    """Withdraw, report done: only the assignment's own helper."""
    return ALLOW if assignment.helper_id == helper.id else _refuse("no_assignment")


# --- The same rule in SQL -------------------------------------------------------------------


def errand_network_sql(org_id: sa.ColumnElement, municipality_id: sa.ColumnElement) -> sa.CompoundSelect:
    """The organizations whose helpers may be offered an errand of ``org_id`` for a
    person in ``municipality_id`` (one column ``id``): the ranking's prefilter,
    ``helper_profiles.organization_id IN (this)`` on the (organization, lat, lon) index."""
    om, op = organization_municipalities, organization_partnerships
    return sa.union(
        sa.select(org_id.label("id")),
        sa.select(op.c.partner_id.label("id"))
        .join(om, sa.and_(om.c.organization_id == op.c.partner_id, om.c.municipality_id == municipality_id))
        .where(op.c.organization_id == org_id),
    )


def helper_network_sql(helper: type[HelperProfile] | sa.orm.util.AliasedClass, network) -> sa.ColumnElement[bool]:
    """``helper`` (a HelperProfile entity or alias) has an organization in
    ``network`` (a select or CTE of organization ids, one column): by profile, or
    by account membership."""
    ids = sa.select(network.c.id) if hasattr(network, "c") else network
    uo = user_organizations.alias("uo")
    return sa.or_(
        helper.organization_id.in_(ids),
        helper.user_id.in_(sa.select(uo.c.user_id).where(uo.c.organization_id.in_(ids))),
    )


def account_members_sql(helper: type[HelperProfile] | sa.orm.util.AliasedClass, network) -> sa.Select:
    """The helpers who are in ``network`` through their account only (a few): the
    ranking reads them besides the indexed scan of profiles by organization."""
    uo = user_organizations.alias("ua")
    return (
        sa.select(helper.id)
        .join(uo, uo.c.user_id == helper.user_id)
        .where(uo.c.organization_id.in_(sa.select(network.c.id)))
    )


def _board_mine(helper_org_id: sa.ColumnElement, user_id: sa.ColumnElement) -> sa.CTE:
    uo = user_organizations
    return sa.union(
        sa.select(helper_org_id.label("id")),
        sa.select(uo.c.organization_id.label("id")).where(uo.c.user_id == user_id),
    ).cte("mine")


def _board_organizations(mine: sa.CTE) -> sa.CompoundSelect:
    op = organization_partnerships
    mine_ids = sa.select(mine.c.id)
    return sa.union(mine_ids, sa.select(op.c.organization_id).where(op.c.partner_id.in_(mine_ids)))


def board_organizations(helper_org_id: sa.ColumnElement, user_id: sa.ColumnElement) -> sa.CompoundSelect:
    """The organizations whose errands :func:`board_condition` can let the helper see
    (theirs and those they are a partner of): one column, ``id``."""
    return _board_organizations(_board_mine(helper_org_id, user_id))


def board_condition(helper_org_id: sa.ColumnElement, user_id: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """The errands (joined with their person, :class:`Elder`) a helper may see:
    ``helper_org_id`` is their profile's organization, ``user_id`` their account.
    Errands of their organizations, or of a partner of one of them that serves
    the person's municipality. The first part keeps the
    ``errands(organization_id, state, starts_at)`` index usable."""
    om, op = organization_municipalities, organization_partnerships
    mine = _board_mine(helper_org_id, user_id)
    mine_ids = sa.select(mine.c.id)
    partner = (
        sa.select(sa.literal_column("1"))
        .select_from(op)
        .join(om, om.c.organization_id == op.c.partner_id)
        .where(
            op.c.organization_id == Errand.organization_id,
            op.c.partner_id.in_(mine_ids),
            om.c.municipality_id == Elder.municipality_id,
        )
    )
    return sa.and_(
        Errand.organization_id.in_(_board_organizations(mine)),
        sa.or_(Errand.organization_id.in_(mine_ids), partner.exists()),
    )


# --------------------------------------------------------------------------
# Coordinators
# --------------------------------------------------------------------------


def org_scope(user: User) -> set[int] | None:
    """The organizations whose people, errands and encounters the user may see and
    change; None means all (admins). Helpers have no coordinator scope."""
    if user.role == "admin":
        return None
    if user.role == "coordinator":
        return user.organization_ids
    return set()


def may_see_org(user: User, organization_id: int | None) -> Decision:
    scope = org_scope(user)
    if scope is None or (organization_id is not None and organization_id in scope):
        return ALLOW
    return _refuse("not_your_organization" if user.role in ("coordinator", "admin") else "no_role")


def scope_condition(user: User, column: sa.ColumnElement) -> sa.ColumnElement[bool]:
    """``column`` (an organization id) in the user's scope, as SQL."""
    scope = org_scope(user)
    return sa.true() if scope is None else column.in_(_scope_list(scope))


def _scope_list(scope: set[int]) -> list[int]:
    """A scope's organizations as an IN list (none of an empty scope's organizations matches)."""
    return sorted(scope) or [-1]


def scope_bound(column: sa.ColumnElement, scoped: bool) -> sa.ColumnElement[bool]:
    """:func:`scope_condition` for a statement built once and run many times: ``column``
    among the organizations bound as ``scope`` (:func:`scope_params`); an admin's scope
    (``scoped`` false) has no condition."""
    return column.in_(sa.bindparam("scope", expanding=True)) if scoped else sa.true()


def scope_params(scope: set[int] | None) -> dict[str, list[int]]:
    """The ``scope`` parameter of :func:`scope_bound` for an :func:`org_scope`."""
    return {} if scope is None else {"scope": _scope_list(scope)}


def scope_ids(user: User) -> tuple[int, ...] | None:
    """:func:`org_scope` as a sorted tuple (None: all), e.g. for a report's scope."""
    scope = org_scope(user)
    return None if scope is None else tuple(sorted(scope))


def scope_organizations(user: User) -> list[Organization]:
    """The organizations in the user's scope, by name: an admin's every one (one query),
    a coordinator's their own (the account's, already loaded), anyone else's none."""
    scope = org_scope(user)
    if scope is None:
        return list(db.session.scalars(sa.select(Organization).order_by(Organization.name)))
    return sorted((o for o in user.organizations if o.id in scope), key=lambda o: o.name)


def scope_municipalities(user: User) -> sa.Select:
    """The municipalities served by the organizations in the user's scope, by name; a
    helper's: those served by their organizations (:func:`helper_org_ids`)."""
    profile = user.helper_profile if user.role == "helper" else None
    scope = helper_org_ids(profile) if profile is not None else org_scope(user)
    stmt = sa.select(Municipality).order_by(Municipality.name)
    if scope is None:
        return stmt
    om = organization_municipalities
    served = sa.select(om.c.municipality_id).where(om.c.organization_id.in_(sorted(scope) or [-1]))
    return stmt.where(Municipality.id.in_(served))


def coordinator_may_see_elder(user: User, elder: Elder) -> Decision:
    return may_see_org(user, elder.organization_id)


def coordinator_may_see_helper(user: User, helper: HelperProfile) -> Decision:
    return may_see_org(user, helper.organization_id)


class ErrandOfOrganization(Protocol):
    """What the errand rules read of an errand that is not loaded as an object."""

    organization_id: int


def coordinator_may_see_errand(user: User, errand: Errand | ErrandOfOrganization) -> Decision:
    """An errand, loaded or as a row of its columns (the errand page's head)."""
    return may_see_org(user, errand.organization_id)


#: Seeing and changing go together for coordinators: their own organizations'.
coordinator_may_change_elder = coordinator_may_see_elder
coordinator_may_change_helper = coordinator_may_see_helper
coordinator_may_change_errand = coordinator_may_see_errand


def coordinator_may_see_pair(user: User, helper: HelperProfile, elder: Elder) -> Decision:
    """A pair belongs to the older resident's organization: its coordinators see and
    change it when the helper is of their organizations or of a partner of the
    older resident's organization."""
    return pair_decision(user, helper.organization_id, elder.organization_id)


def pair_decision(user: User, helper_org_id: int | None, elder_org_id: int | None) -> Decision:
    """:func:`coordinator_may_see_pair` on the two people's organization ids."""
    refused = may_see_org(user, elder_org_id)
    if not refused:
        return refused
    if org_scope(user) is None or may_see_org(user, helper_org_id):
        return ALLOW
    if helper_org_id is not None and elder_org_id is not None and are_partners(elder_org_id, helper_org_id):
        return ALLOW
    return _refuse("not_your_organization")


coordinator_may_change_pair = coordinator_may_see_pair


def visible_ids(user: User, kind: str, ids: Collection[int]) -> set[int]:
    """Of these helper (``kind="helper"``) or older-resident ids, those whose
    organization is in the user's scope (one query)."""
    wanted = {i for i in ids if i}
    if not wanted:
        return set()
    model = HelperProfile if kind == "helper" else Elder
    stmt = sa.select(model.id).where(model.id.in_(wanted), scope_condition(user, model.organization_id))
    return set(db.session.scalars(stmt))
