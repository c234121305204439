"""Helpers' lifecycle and the lists coordinators read.

The plain facts about one helper (age, pause, guardian consent, eligibility)
are methods of :class:`~app.models.HelperProfile`; their future work goes
back to matching through :func:`app.errands.lifecycle.release_helper`.

For coordinators: :func:`approve_helper`, :func:`suspend_helper`,
:func:`reinstate_helper`, :func:`correct_youth_profile`,
:func:`record_phone_withdrawal`; for the helper: :func:`pause_helper`,
:func:`resume_helper`. Deleting an account is the privacy area's
(:mod:`app.privacy.accounts`).

Services flush; the route commits once. Domain errors are :class:`HelperError`
with a ``code`` the route turns into a message.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app import policy
from app.audit import record
from app.auth.sessions import end_all_sessions
from app.errands.lifecycle import Released, release_helper
from app.extensions import db
from app.helpers.consent import withdraw_consent
from app.helpers.profile_fit import PROFILES
from app.i18n import today_local
from app.models import (
    GuardianConsent,
    HelperProfile,
    User,
    utcnow,
)
from app.sms.outbox import queue_sms
from app.sms.people import helper_language

MIN_AGE = 13
#: The name a deleted account keeps (:mod:`app.privacy.accounts`).
DELETED_NAME = "Poistettu"
MAX_PAUSE_DAYS = 366


class HelperError(Exception):
    """A helper action that cannot be done. ``code`` names the reason."""

    def __init__(self, code: str, **details):
        super().__init__(code)
        self.code = code
        self.details = details


# --------------------------------------------------------------------------
# Reads
# --------------------------------------------------------------------------


def consent_state(profile: HelperProfile, on: date | None = None) -> str:
    """not_needed | waiting | given | withdrawn | refused | missing."""
    if not profile.is_minor_on(on or today_local()):
        return "not_needed"
    consent = profile.current_consent
    if consent is None or consent.status == "superseded":
        return "missing"
    return {"requested": "waiting"}.get(consent.status, consent.status)


def can_manage(user: User, profile: HelperProfile) -> bool:
    """Admins manage every helper; coordinators those of their own organizations."""
    return bool(policy.coordinator_may_change_helper(user, profile))


@dataclass(frozen=True)
class HelperFilter:
    status: str | None = None  # pending|approved|suspended|paused
    municipality_id: int | None = None
    query: str = ""


def helpers_query(user: User, flt: HelperFilter) -> sa.Select:
    """Helpers the user may see, filtered; pending first, then by name. Deleted accounts are left out."""
    stmt = (
        sa.select(HelperProfile)
        .options(selectinload(HelperProfile.consents), selectinload(HelperProfile.municipality))
        .where(HelperProfile.status != "deleted")
    )
    stmt = stmt.where(policy.scope_condition(user, HelperProfile.organization_id))
    if flt.status == "paused":
        stmt = stmt.where(HelperProfile.paused_until >= today_local())
    elif flt.status:
        stmt = stmt.where(HelperProfile.status == flt.status)
    if flt.municipality_id:
        stmt = stmt.where(HelperProfile.municipality_id == flt.municipality_id)
    text = flt.query.strip()
    if text:
        digits = "".join(ch for ch in text if ch.isdigit())
        conditions = [
            HelperProfile.first_name.icontains(text, autoescape=True),
            HelperProfile.last_name.icontains(text, autoescape=True),
            (HelperProfile.first_name + " " + HelperProfile.last_name).icontains(text, autoescape=True),
        ]
        if len(digits) >= 3 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 1:
            # "040 123" → "40123" matches "+35840123...".
            core = digits[3:] if digits.startswith("358") else digits.lstrip("0")
            conditions.append(HelperProfile.phone.contains(core, autoescape=True))
        stmt = stmt.where(sa.or_(*conditions))
    pending_first = sa.case((HelperProfile.status == "pending", 0), else_=1)
    return stmt.order_by(pending_first, HelperProfile.last_name, HelperProfile.first_name, HelperProfile.id)


def pending_helpers(user: User, limit: int = 5) -> list[HelperProfile]:
    """The oldest registrations waiting for approval in the user's organizations."""
    stmt = (
        sa.select(HelperProfile)
        .options(selectinload(HelperProfile.consents))
        .where(HelperProfile.status == "pending")
        .order_by(HelperProfile.created_at, HelperProfile.id)
        .limit(limit)
    )
    stmt = stmt.where(policy.scope_condition(user, HelperProfile.organization_id))
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------
# Coordinator actions
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class ApprovalChecks:
    identity_seen: bool
    training_held: bool
    criminal_record_seen_on: date | None = None


def approve_helper(profile: HelperProfile, by: User, checks: ApprovalChecks) -> None:
    """Approve a pending helper and text them the news.

    Raises HelperError: ``not_pending``, ``checks_missing`` (identity and
    training are both required), ``future_date`` (criminal record date),
    ``no_consent`` (a minor without a valid guardian consent).
    """
    if profile.status != "pending":
        raise HelperError("not_pending")
    if not (checks.identity_seen and checks.training_held):
        raise HelperError("checks_missing")
    if checks.criminal_record_seen_on is not None and checks.criminal_record_seen_on > today_local():
        raise HelperError("future_date")
    if profile.is_minor_on(today_local()) and not profile.has_valid_guardian_consent:
        raise HelperError("no_consent")
    profile.identity_seen = True
    profile.training_held = True
    profile.criminal_record_seen_on = checks.criminal_record_seen_on
    profile.status = "approved"
    profile.approved_at = utcnow()
    profile.approved_by_id = by.id
    db.session.flush()
    record(
        "helper_approved",
        profile,
        actor=by,
        identity_seen=True,
        training_held=True,
        criminal_record_seen_on=checks.criminal_record_seen_on.isoformat() if checks.criminal_record_seen_on else None,
    )
    if not profile.sms_opt_out and profile.phone:
        with force_locale(helper_language(profile)):
            body = _(
                "Hi %(name)s! You have been approved as an everyday rescuer. You can now take errands: "
                "log in to see the errands near you.",
                name=profile.first_name,
            )
        queue_sms(
            profile.phone,
            body,
            kind="helper_approved",
            language=helper_language(profile),
            dedupe_key=f"helper_approved:{profile.id}",
            helper_id=profile.id,
            organization_id=profile.organization_id,
            sent_by_id=by.id,
        )


def suspend_helper(profile: HelperProfile, by: User, reason: str) -> Released:
    """Suspend at once: status ``suspended``, every session ended, future
    errands back to matching, pending offers cancelled. Raises HelperError
    ``no_reason`` or ``already_suspended``."""
    reason = (reason or "").strip()
    if not reason:
        raise HelperError("no_reason")
    if profile.status == "suspended":
        raise HelperError("already_suspended")
    if profile.status == "deleted":
        raise HelperError("deleted")
    previous = profile.status
    profile.status = "suspended"
    profile.suspended_at = utcnow()
    profile.suspension_reason = reason[:300]
    end_all_sessions(profile.user)
    released = release_helper(profile, by=by, actor_kind="coordinator", reason=f"helper suspended: {reason}")
    record(
        "helper_suspended",
        profile,
        actor=by,
        reason=reason[:300],
        previous_status=previous,
        assignments_cancelled=released.assignments,
        errands_reopened=released.errands_reopened,
    )
    return released


def reinstate_helper(profile: HelperProfile, by: User, note: str = "") -> None:
    """Lift a suspension. A helper who was never approved goes back to pending."""
    if profile.status != "suspended":
        raise HelperError("not_suspended")
    profile.status = "approved" if profile.approved_at is not None else "pending"
    profile.suspended_at = None
    profile.suspension_reason = None
    db.session.flush()
    record("helper_reinstated", profile, actor=by, status=profile.status, note=note.strip()[:300] or None)


def correct_youth_profile(profile: HelperProfile, by: User, youth_profile: str) -> None:
    """A coordinator sets the youth profile (the suggestion stays for reference)."""
    if youth_profile not in PROFILES:
        raise HelperError("unknown_profile")
    previous = profile.youth_profile
    profile.youth_profile = youth_profile
    profile.profile_corrected_by_id = by.id
    db.session.flush()
    record("helper_profile_corrected", profile, actor=by, previous=previous, youth_profile=youth_profile)


def record_phone_withdrawal(profile: HelperProfile, by: User, note: str = "") -> GuardianConsent:
    """A guardian called to withdraw (or refuse) consent; the coordinator records it."""
    consent = profile.current_consent
    if consent is None or consent.status not in ("requested", "given"):
        raise HelperError("no_open_consent")
    withdraw_consent(consent, via="phone", by=by, note=note.strip()[:300] or None)
    return consent


# --------------------------------------------------------------------------
# The helper's own actions
# --------------------------------------------------------------------------


def pause_helper(profile: HelperProfile, until: date) -> None:
    """Pause until a date (inclusive). Raises HelperError ``past_date`` or ``too_far``."""
    today = today_local()
    if until < today:
        raise HelperError("past_date")
    if until > today + timedelta(days=MAX_PAUSE_DAYS):
        raise HelperError("too_far")
    profile.paused_until = until
    db.session.flush()
    record("helper_paused", profile, actor=profile.user, until=until.isoformat())


def resume_helper(profile: HelperProfile) -> None:
    profile.paused_until = None
    db.session.flush()
    record("helper_resumed", profile, actor=profile.user)
