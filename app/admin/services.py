"""Administration: partner organizations and their partnerships, coordinator accounts and the task type list.

Functions ``flush()``; the route commits once. Broken rules raise
:class:`AdminError` with a ``code`` (and the ``field`` it concerns).
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app.audit import record
from app.auth.sessions import end_all_sessions
from app.extensions import db
from app.models import ORGANIZATION_KINDS, Municipality, Organization, TaskType, User
from app.models.org import organization_partnerships

PASSWORD_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"  # no look-alikes (l/1, o/0, i)


class AdminError(Exception):
    def __init__(self, code: str, field: str | None = None):
        super().__init__(code)
        self.code = code
        self.field = field


@dataclass(frozen=True)
class OrganizationInput:
    name: str
    kind: str
    municipality_ids: tuple[int, ...]
    phone: str | None = None  # E.164
    email: str | None = None
    is_active: bool = True


@dataclass(frozen=True)
class CoordinatorInput:
    name: str
    email: str
    organization_ids: tuple[int, ...]
    phone: str | None = None  # E.164
    password: str | None = None


@dataclass(frozen=True)
class TaskTypeInput:
    code: str
    name_fi: str
    name_sv: str
    name_en: str
    sort_order: int | None = None


def generate_password() -> str:
    """A readable one-off password such as ``k7dm-q2xa-9fpt``, to be changed by its owner."""
    return "-".join("".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(4)) for _ in range(3))


# --------------------------------------------------------------------------
# Organizations
# --------------------------------------------------------------------------


def save_organization(data: OrganizationInput, org: Organization | None = None) -> Organization:
    """Create an organization (``org`` None) or change one."""
    name = data.name.strip()
    same_name = sa.select(Organization.id).where(sa.func.lower(Organization.name) == name.lower())
    if org is not None:
        same_name = same_name.where(Organization.id != org.id)
    if db.session.scalar(same_name) is not None:
        raise AdminError("name_taken", "name")
    if data.kind not in ORGANIZATION_KINDS:
        raise AdminError("unknown_kind", "kind")
    municipalities = list(db.session.scalars(sa.select(Municipality).where(Municipality.id.in_(data.municipality_ids))))
    if len(municipalities) != len(set(data.municipality_ids)):
        raise AdminError("unknown_municipality", "municipalities")
    created = org is None
    if org is None:
        org = Organization(name=name, kind=data.kind)
        db.session.add(org)
    org.name, org.kind = name, data.kind
    org.phone, org.email, org.is_active = data.phone, (data.email or "").strip().lower() or None, data.is_active
    org.municipalities = sorted(municipalities, key=lambda m: m.name)
    db.session.flush()
    record(
        "organization.created" if created else "organization.updated",
        org,
        name=org.name,
        municipalities=[m.name for m in org.municipalities],
        active=org.is_active,
    )
    return org


# --------------------------------------------------------------------------
# Partnerships (the organization rule is app.policy)
# --------------------------------------------------------------------------


def partners(org: Organization) -> list[Organization]:
    """The organizations in partnership with ``org``, by name."""
    op = organization_partnerships
    stmt = (
        sa.select(Organization)
        .join(op, op.c.partner_id == Organization.id)
        .where(op.c.organization_id == org.id)
        .order_by(Organization.name)
    )
    return list(db.session.scalars(stmt))


def add_partnership(org: Organization, partner_id: int, *, by: User) -> Organization:
    """Make ``org`` and the organization ``partner_id`` partners (both directions):
    each one's helpers may then be offered, see and take the other's errands in
    the municipalities the helper's organization serves. Audited.

    Raises AdminError ``unknown_organization`` (no such active organization,
    or ``org`` itself) or ``already_partners``."""
    partner = db.session.get(Organization, partner_id)
    if partner is None or partner.id == org.id or not partner.is_active:
        raise AdminError("unknown_organization", "partner")
    op = organization_partnerships
    exists = sa.select(op.c.partner_id).where(op.c.organization_id == org.id, op.c.partner_id == partner.id)
    if db.session.scalar(exists) is not None:
        raise AdminError("already_partners", "partner")
    db.session.execute(
        op.insert(),
        [
            {"organization_id": org.id, "partner_id": partner.id, "created_by_id": by.id},
            {"organization_id": partner.id, "partner_id": org.id, "created_by_id": by.id},
        ],
    )
    record("organization.partnership_added", org, actor=by, partner_id=partner.id, partner=partner.name)
    db.session.flush()
    return partner


def remove_partnership(org: Organization, partner_id: int, *, by: User) -> bool:
    """End the partnership (both directions). Offers and assignments already made
    stay; from now on the partner's helpers no longer see or get the errands.
    Audited. False when there was none."""
    op = organization_partnerships
    pair = sa.or_(
        sa.and_(op.c.organization_id == org.id, op.c.partner_id == partner_id),
        sa.and_(op.c.organization_id == partner_id, op.c.partner_id == org.id),
    )
    removed = db.session.execute(op.delete().where(pair)).rowcount
    if removed:
        record("organization.partnership_removed", org, actor=by, partner_id=partner_id)
        db.session.flush()
    return bool(removed)


# --------------------------------------------------------------------------
# Coordinators
# --------------------------------------------------------------------------


def coordinators() -> list[User]:
    return list(
        db.session.scalars(
            sa.select(User)
            .where(User.role.in_(("coordinator", "admin")))
            .order_by(User.role, User.name)
            .options(selectinload(User.organizations))
        )
    )


def _organizations(ids: tuple[int, ...]) -> list[Organization]:
    orgs = list(db.session.scalars(sa.select(Organization).where(Organization.id.in_(ids))))
    if not orgs or len(orgs) != len(set(ids)):
        raise AdminError("unknown_organization", "organizations")
    return sorted(orgs, key=lambda o: o.name)


def _check_email(email: str, user: User | None = None) -> str:
    email = email.strip().lower()
    stmt = sa.select(User.id).where(sa.func.lower(User.email) == email)
    if user is not None:
        stmt = stmt.where(User.id != user.id)
    if db.session.scalar(stmt) is not None:
        raise AdminError("email_taken", "email")
    return email


def create_coordinator(data: CoordinatorInput) -> tuple[User, str | None]:
    """Create a coordinator account. Returns the user and the generated password
    (None when the admin chose one); the generated one is shown once and never stored."""
    email = _check_email(data.email)
    orgs = _organizations(data.organization_ids)
    generated = None if data.password else generate_password()
    user = User(email=email, name=data.name.strip(), role="coordinator", phone=data.phone, active=True)
    user.set_password(data.password or generated or "")
    user.organizations = orgs
    db.session.add(user)
    db.session.flush()
    record("coordinator.created", user, email=email, organizations=[o.name for o in orgs])
    return user, generated


def update_coordinator(user: User, data: CoordinatorInput) -> None:
    """Change a coordinator's details; a new password ends their sessions."""
    if user.role != "coordinator":
        raise AdminError("not_a_coordinator")
    user.email = _check_email(data.email, user)
    user.name = data.name.strip()
    user.phone = data.phone
    user.organizations = _organizations(data.organization_ids)
    if data.password:
        user.set_password(data.password)
        end_all_sessions(user)
    db.session.flush()
    record(
        "coordinator.updated",
        user,
        organizations=[o.name for o in user.organizations],
        password_changed=bool(data.password) or None,
    )


def set_coordinator_active(user: User, active: bool, *, by: User) -> bool:
    """Deactivate (which ends every session at once) or reactivate. Returns False if nothing changed."""
    if user.role != "coordinator":
        raise AdminError("not_a_coordinator")
    if user.id == by.id:
        raise AdminError("own_account")
    if user.active == active:
        return False
    user.active = active
    if not active:
        end_all_sessions(user)
    db.session.flush()
    record("coordinator.activated" if active else "coordinator.deactivated", user)
    return True


# --------------------------------------------------------------------------
# Task types
# --------------------------------------------------------------------------


def task_types() -> list[TaskType]:
    return list(db.session.scalars(sa.select(TaskType).order_by(TaskType.sort_order, TaskType.code)))


def add_task_type(data: TaskTypeInput) -> TaskType:
    code = data.code.strip().lower()
    if db.session.scalar(sa.select(TaskType.id).where(TaskType.code == code)) is not None:
        raise AdminError("code_taken", "code")
    order = data.sort_order
    if order is None:
        order = (db.session.scalar(sa.select(sa.func.max(TaskType.sort_order))) or 0) + 10
    task_type = TaskType(
        code=code,
        name_fi=data.name_fi.strip(),
        name_sv=data.name_sv.strip(),
        name_en=data.name_en.strip(),
        sort_order=order,
        active=True,
    )
    db.session.add(task_type)
    db.session.flush()
    record("task_type.created", task_type, code=code)
    return task_type


def set_task_type_active(task_type: TaskType, active: bool) -> bool:
    """Retire a task type from new requests (old errands keep it) or bring it back."""
    if task_type.active == active:
        return False
    task_type.active = active
    db.session.flush()
    record("task_type.activated" if active else "task_type.deactivated", task_type, code=task_type.code)
    return True
