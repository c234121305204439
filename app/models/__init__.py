"""Every model, re-exported so Alembic and the app see every table."""

from app.models.audit import AuditLog
from app.models.base import Base, utcnow
from app.models.elder import CONTACT_CHANNELS, ELDER_PROFILES, ContactPerson, Elder
from app.models.encounter import CheckIn, Encounter, EncounterParticipant, StageOverride
from app.models.errand import ERRAND_STATES, Assignment, Errand, ErrandEvent, HelpRequest, Offer, TaskType
from app.models.messaging import CoordinatorAlert, ProviderErasure, SmsMessage, SmsOptOut
from app.models.org import ORGANIZATION_KINDS, Municipality, Organization, Village
from app.models.user import (
    HELPER_STATUSES,
    ROLES,
    TRANSPORTS,
    YOUTH_PROFILES,
    GuardianConsent,
    HelperProfile,
    User,
    UserSession,
)

__all__ = [
    "CONTACT_CHANNELS",
    "ELDER_PROFILES",
    "ERRAND_STATES",
    "HELPER_STATUSES",
    "ORGANIZATION_KINDS",
    "ROLES",
    "TRANSPORTS",
    "YOUTH_PROFILES",
    "Assignment",
    "AuditLog",
    "Base",
    "CheckIn",
    "ContactPerson",
    "CoordinatorAlert",
    "Elder",
    "Encounter",
    "EncounterParticipant",
    "Errand",
    "ErrandEvent",
    "GuardianConsent",
    "HelpRequest",
    "HelperProfile",
    "Municipality",
    "Offer",
    "Organization",
    "ProviderErasure",
    "SmsMessage",
    "SmsOptOut",
    "StageOverride",
    "TaskType",
    "User",
    "UserSession",
    "Village",
    "utcnow",
]
