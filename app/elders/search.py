"""Who may see which older residents, finding them, and what their page lists
(what needs attention, the history of changes, others sharing their number)."""

from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from app import policy
from app.audit import NOTES_VIEWED
from app.elders.intake import ELDER_STATUSES
from app.extensions import db
from app.models import AuditLog, ContactPerson, Elder, User


def can_manage(user: User, elder: Elder) -> bool:
    """Admins manage everyone; a coordinator the residents of their own organizations
    (:mod:`app.policy`)."""
    return bool(policy.coordinator_may_change_elder(user, elder))


def visible_elders(user: User) -> sa.Select:
    stmt = sa.select(Elder)
    return stmt.where(policy.scope_condition(user, Elder.organization_id))


_PHONEISH = re.compile(r"^[\d\s+()./-]+$")


@dataclass(frozen=True)
class ElderFilter:
    q: str = ""
    municipality_id: int | None = None
    status: str | None = None
    needs_attention: bool = False
    erased: str = ""  # "": leave out people whose data was erased, "include": with them, "only": only them


def phone_fragment(text: str) -> str | None:
    """Digits to look for in stored E.164 numbers: ``"040 12"`` → ``"3584012"``, ``"4567"`` → ``"4567"``."""
    digits = re.sub(r"\D", "", text)
    if not digits:
        return None
    if digits.startswith("00"):
        return digits[2:] or None
    if digits.startswith("0"):
        return "358" + digits[1:]
    return digits


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def search_elders(user: User, flt: ElderFilter) -> sa.Select:
    """The residents the user may see that match the filter, sorted by last name."""
    stmt = visible_elders(user).options(selectinload(Elder.municipality), selectinload(Elder.village))
    query = flt.q.strip()
    if query and _PHONEISH.match(query) and any(ch.isdigit() for ch in query):
        stmt = stmt.where(_phone_matches(phone_fragment(query) or ""))
    elif query:
        for term in query.split():
            if term.isdigit():
                stmt = stmt.where(_phone_matches(phone_fragment(term) or term))
            else:
                pattern = _like(term)
                stmt = stmt.where(
                    sa.or_(
                        Elder.first_name.ilike(pattern, escape="\\"),
                        Elder.last_name.ilike(pattern, escape="\\"),
                        Elder.street_address.ilike(pattern, escape="\\"),
                    )
                )
    if flt.erased == "only":
        stmt = stmt.where(Elder.erased_at.is_not(None))
    elif flt.erased != "include":
        stmt = stmt.where(Elder.erased_at.is_(None))
    if flt.municipality_id:
        stmt = stmt.where(Elder.municipality_id == flt.municipality_id)
    if flt.status in ELDER_STATUSES:
        stmt = stmt.where(Elder.status == flt.status)
    if flt.needs_attention:
        stmt = stmt.where(sa.or_(Elder.lat.is_(None), Elder.lon.is_(None), sa.not_(Elder.has_consent)))
    return stmt.order_by(sa.func.lower(Elder.last_name), sa.func.lower(Elder.first_name), Elder.id)


def _phone_matches(fragment: str) -> sa.ColumnElement[bool]:
    pattern = _like(fragment)
    in_contacts = (
        sa.select(ContactPerson.id)
        .where(ContactPerson.elder_id == Elder.id, ContactPerson.phone.like(pattern, escape="\\"))
        .exists()
    )
    return sa.or_(Elder.phone.like(pattern, escape="\\"), in_contacts)


def possible_duplicates(
    user: User,
    *,
    first_name: str,
    last_name: str,
    phones: list[str],
    street_address: str,
    municipality_id: int | None,
    birth_year: int | None = None,
) -> list[Elder]:
    """People already on record that a new intake may be a second record of, in every
    organization the user can see: a similar name (the same last name, the first name's
    first letters) when the birth years agree or either is unknown, the same phone number
    (theirs or a contact person's), or the same address in the same municipality."""
    first, last = first_name.strip().lower(), last_name.strip().lower()
    same = []
    if first and last:
        name = sa.and_(sa.func.lower(Elder.last_name) == last, sa.func.lower(Elder.first_name).startswith(first[:3]))
        if birth_year is not None:
            name = sa.and_(name, sa.or_(Elder.birth_year.is_(None), Elder.birth_year == birth_year))
        same.append(name)
    if phones:
        in_contacts = sa.select(ContactPerson.id).where(
            ContactPerson.elder_id == Elder.id, ContactPerson.phone.in_(phones)
        )
        same.append(sa.or_(Elder.phone.in_(phones), in_contacts.exists()))
    street = " ".join(street_address.lower().split())
    if street and municipality_id:
        same.append(sa.and_(sa.func.lower(Elder.street_address) == street, Elder.municipality_id == municipality_id))
    if not same:
        return []
    stmt = visible_elders(user).where(sa.or_(*same), Elder.erased_at.is_(None)).order_by(Elder.last_name, Elder.id)
    stmt = stmt.options(selectinload(Elder.municipality), selectinload(Elder.organization)).limit(10)
    return list(db.session.scalars(stmt))


def flags(elder: Elder) -> list[str]:
    """What needs a coordinator's attention: ``no_location``, ``no_consent``."""
    out = []
    if elder.lat is None or elder.lon is None:
        out.append("no_location")
    if not elder.has_consent:
        out.append("no_consent")
    return out


def history(elder: Elder, limit: int = 20) -> list[tuple[AuditLog, User | None]]:
    """The latest changes to the resident in the audit log, with who made them (who
    read the notes is in the admins' audit log, not here)."""
    rows = db.session.execute(
        sa.select(AuditLog, User)
        .outerjoin(User, User.id == AuditLog.actor_user_id)
        .where(AuditLog.subject_type == "Elder", AuditLog.subject_id == elder.id, AuditLog.action != NOTES_VIEWED)
        .order_by(AuditLog.at.desc(), AuditLog.id.desc())
        .limit(limit)
    )
    return [(entry, user) for entry, user in rows]


def same_phone_elsewhere(elder: Elder, user: User) -> list[Elder]:
    """Other residents the user can see with the same phone number: a couple sharing a
    landline, or someone taken in twice."""
    if not elder.phone:
        return []
    stmt = visible_elders(user).where(Elder.phone == elder.phone, Elder.id != elder.id).order_by(Elder.id)
    return list(db.session.scalars(stmt.limit(5)))
