"""Every model, re-exported so Alembic and the app see every table."""

from app.models.activity import Activity, ActivityInvitation, ActivitySignup, SharedPlace
from app.models.audit import AuditLog
from app.models.base import Base, utcnow
from app.models.call import CALL_OUTCOMES, CALL_TOPICS, CALLBACK_OUTCOMES, CALLER_KINDS, Callback, CallLog
from app.models.elder import CONTACT_CHANNELS, NO_CONSENT, ContactPerson, Elder
from app.models.encounter import CheckIn, Encounter, EncounterParticipant, StageOverride
from app.models.errand import Assignment, Errand, ErrandEvent, HelpRequest, Offer, TaskType
from app.models.masks import helper_masks, task_bits
from app.models.messaging import CoordinatorAlert, ProviderErasure, SmsMessage, SmsOptOut
from app.models.org import ORGANIZATION_KINDS, Municipality, Organization, Village
from app.models.planning import EXCEPTION_KINDS, AvailabilityException, WeekPlan, WeekPlanLine
from app.models.rollup import (
    RollupCheckinDay,
    RollupEncounterDay,
    RollupErrandDay,
    RollupMatchMinutes,
    RollupPeopleCount,
    RollupPersonDay,
    RollupRequestDay,
    StageChange,
)
from app.models.user import (
    ADULT_AGE,
    HELPER_STATUSES,
    ROLES,
    TRANSPORTS,
    GuardianConsent,
    HelperProfile,
    User,
    UserSession,
    age_on,
    minor_on,
    paused_on,
)

__all__ = [
    "helper_masks",
    "task_bits",
    "Activity",
    "ActivityInvitation",
    "ActivitySignup",
    "SharedPlace",
    "ADULT_AGE",
    "CALLBACK_OUTCOMES",
    "CALLER_KINDS",
    "CALL_OUTCOMES",
    "CALL_TOPICS",
    "CONTACT_CHANNELS",
    "EXCEPTION_KINDS",
    "HELPER_STATUSES",
    "NO_CONSENT",
    "ORGANIZATION_KINDS",
    "ROLES",
    "TRANSPORTS",
    "Assignment",
    "AuditLog",
    "AvailabilityException",
    "Base",
    "CallLog",
    "Callback",
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
    "RollupCheckinDay",
    "RollupEncounterDay",
    "RollupErrandDay",
    "RollupMatchMinutes",
    "RollupPeopleCount",
    "RollupPersonDay",
    "RollupRequestDay",
    "SmsMessage",
    "SmsOptOut",
    "StageChange",
    "StageOverride",
    "TaskType",
    "User",
    "UserSession",
    "Village",
    "WeekPlan",
    "WeekPlanLine",
    "age_on",
    "minor_on",
    "paused_on",
    "utcnow",
]
