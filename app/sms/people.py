"""Who a phone number belongs to: helpers, older people and contact persons."""

from __future__ import annotations

from dataclasses import dataclass, field

import sqlalchemy as sa

from app.extensions import db
from app.models import ContactPerson, Elder, HelperProfile
from app.phones import PhoneError, parse_phone


def helper_language(helper: HelperProfile) -> str:
    """A helper's SMS language (and their guardian's): Finnish unless they use the app in Swedish."""
    return "sv" if helper.user is not None and helper.user.locale == "sv" else "fi"


def normal_phone(raw: str | None) -> str:
    """E.164 when the number can be read, else the text as it came."""
    try:
        return parse_phone(raw or "", allow_foreign=True).e164
    except PhoneError:
        return (raw or "").strip()


@dataclass
class Sender:
    """Everyone on file with one phone number (usually exactly one person)."""

    phone: str
    helpers: list[HelperProfile] = field(default_factory=list)
    elders: list[Elder] = field(default_factory=list)
    contacts: list[ContactPerson] = field(default_factory=list)

    @property
    def helper(self) -> HelperProfile | None:
        return self.helpers[0] if self.helpers else None

    @property
    def known(self) -> bool:
        return bool(self.helpers or self.elders or self.contacts)

    @property
    def language(self) -> str | None:
        if self.helpers:
            return helper_language(self.helpers[0])
        if self.elders:
            return self.elders[0].language or "fi"
        if self.contacts:
            return self.contacts[0].language or "fi"
        return None

    @property
    def organization_id(self) -> int | None:
        for helper in self.helpers:
            if helper.organization_id:
                return helper.organization_id
        for elder in self.elders:
            return elder.organization_id
        for contact in self.contacts:
            return contact.elder.organization_id
        return None

    @property
    def elder_ids(self) -> set[int]:
        """The older people this number may speak for (their own, or as a contact person)."""
        return {e.id for e in self.elders} | {c.elder_id for c in self.contacts}

    def label(self) -> str:
        if self.helpers:
            h = self.helpers[0]
            return f"{h.first_name} {h.last_name}"
        if self.elders:
            return self.elders[0].full_name
        if self.contacts:
            c = self.contacts[0]
            return f"{c.name} ({c.elder.full_name})"
        return ""


def identify(phone: str) -> Sender:
    sender = Sender(phone)
    if not phone:
        return sender
    sender.helpers = list(
        db.session.scalars(sa.select(HelperProfile).where(HelperProfile.phone == phone).order_by(HelperProfile.id))
    )
    sender.elders = list(
        db.session.scalars(sa.select(Elder).where(Elder.phone == phone, Elder.status != "ended").order_by(Elder.id))
    )
    sender.contacts = list(
        db.session.scalars(sa.select(ContactPerson).where(ContactPerson.phone == phone).order_by(ContactPerson.id))
    )
    return sender
