"""Helpers' lifecycle and the reads other areas use.

For other areas:

* :func:`is_minor` / :func:`age_on` — age rules (Helsinki calendar dates).
* :func:`has_valid_guardian_consent` — the newest consent request is given.
* :func:`is_paused` — the helper paused themselves until a date.
* :func:`release_future_work` — future assignments go back to matching.

For coordinators: :func:`approve_helper`, :func:`suspend_helper`,
:func:`reinstate_helper`, :func:`correct_youth_profile`,
:func:`record_phone_withdrawal`; for the helper: :func:`pause_helper`,
:func:`resume_helper`, :func:`delete_helper_account`.

Services flush; the route commits once. Domain errors are :class:`HelperError`
with a ``code`` the route turns into a message.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import selectinload

from app import policy
from app.audit import record
from app.auth.sessions import end_all_sessions
from app.errands.states import transition
from app.extensions import db
from app.helpers.consent import current_consent, withdraw_consent
from app.i18n import HELSINKI
from app.models import (
    Assignment,
    Errand,
    GuardianConsent,
    HelperProfile,
    Offer,
    User,
    utcnow,
)
from app.sms.outbox import queue_sms
from app.sms.people import helper_language
from app.vocabulary import LIVE_ERRAND_STATES

ADULT_AGE = 18
MIN_AGE = 13
DELETED_NAME = "Poistettu"
#: Errand states that still need or have helpers (an assignment can be taken back from them).
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


def today_local() -> date:
    return datetime.now(HELSINKI).date()


def age_on(birth_date: date, on: date) -> int:
    """Whole years of age on a date (a 29 February birthday counts from 1 March)."""
    return on.year - birth_date.year - ((on.month, on.day) < (birth_date.month, birth_date.day))


def is_minor(profile: HelperProfile, on: date) -> bool:
    """Under 18 on the given (Helsinki) date."""
    return age_on(profile.birth_date, on) < ADULT_AGE


def has_valid_guardian_consent(profile: HelperProfile) -> bool:
    """True when the helper's newest guardian consent is given (and not withdrawn).

    Says nothing about age: callers combine it with :func:`is_minor` (a helper
    of 18 or over needs no consent).
    """
    consent = current_consent(profile)
    return consent is not None and consent.status == "given"


def consent_state(profile: HelperProfile, on: date | None = None) -> str:
    """not_needed | waiting | given | withdrawn | refused | missing."""
    if not is_minor(profile, on or today_local()):
        return "not_needed"
    consent = current_consent(profile)
    if consent is None or consent.status == "superseded":
        return "missing"
    return {"requested": "waiting"}.get(consent.status, consent.status)


def is_paused(profile: HelperProfile, on: date | None = None) -> bool:
    """Paused through ``paused_until`` (inclusive)."""
    return profile.paused_until is not None and profile.paused_until >= (on or today_local())


def is_eligible(profile: HelperProfile, on: date | None = None) -> bool:
    """Approved, not paused, and (for a minor) with a valid guardian consent."""
    on = on or today_local()
    if profile.status != "approved" or is_paused(profile, on):
        return False
    return not is_minor(profile, on) or has_valid_guardian_consent(profile)


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


def upcoming_assignments(profile: HelperProfile, until: datetime | None = None) -> list[Assignment]:
    """The helper's active assignments whose errand starts in the future (optionally before ``until``)."""
    stmt = (
        sa.select(Assignment)
        .join(Errand, Assignment.errand_id == Errand.id)
        .where(Assignment.helper_id == profile.id, Assignment.status == "active", Errand.starts_at > utcnow())
        .order_by(Errand.starts_at)
    )
    if until is not None:
        stmt = stmt.where(Errand.starts_at < until)
    return list(db.session.scalars(stmt))


# --------------------------------------------------------------------------
# Taking work back
# --------------------------------------------------------------------------


@dataclass(frozen=True)
class Released:
    assignments: int
    errands_reopened: int
    offers_cancelled: int


def release_future_work(
    profile: HelperProfile, *, by: User | None, actor_kind: str = "coordinator", note: str | None = None
) -> Released:
    """Give the helper's future errands back to matching.

    Every active assignment of an errand that has not started yet is cancelled
    and gives its slot back; a live errand (open/offered/assigned) goes back to
    ``open`` with an :class:`ErrandEvent` saying who and why. Pending offers to
    the helper are cancelled.
    """
    now = utcnow()
    reopened = 0
    assignments = upcoming_assignments(profile)
    for assignment in assignments:
        assignment.status = "cancelled"
        assignment.slot = None
        assignment.withdrawn_at = now
        assignment.withdraw_reason = (note or "")[:300] or None
        assignment.details_visible_until = now
        errand = assignment.errand
        if errand.state in LIVE_ERRAND_STATES and errand.state != "open":
            transition(errand, "open", actor=by, actor_kind=actor_kind, note=note)
            reopened += 1
    offers = list(db.session.scalars(sa.select(Offer).where(Offer.helper_id == profile.id, Offer.status == "pending")))
    for offer in offers:
        offer.status = "cancelled"
        offer.responded_at = now
    db.session.flush()
    return Released(len(assignments), reopened, len(offers))


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
    if is_minor(profile, today_local()) and not has_valid_guardian_consent(profile):
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
    released = release_future_work(profile, by=by, actor_kind="coordinator", note=f"helper suspended: {reason}")
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
    from app.helpers.profile_fit import PROFILES

    if youth_profile not in PROFILES:
        raise HelperError("unknown_profile")
    previous = profile.youth_profile
    profile.youth_profile = youth_profile
    profile.profile_corrected_by_id = by.id
    db.session.flush()
    record("helper_profile_corrected", profile, actor=by, previous=previous, youth_profile=youth_profile)


def record_phone_withdrawal(profile: HelperProfile, by: User, note: str = "") -> GuardianConsent:
    """A guardian called to withdraw (or refuse) consent; the coordinator records it."""
    consent = current_consent(profile)
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


def delete_helper_account(profile: HelperProfile) -> Released:
    """Delete the helper's account on their own request.

    What goes: names (→ "Poistettu"), phone, email (→ a unique placeholder),
    password, home address and coordinates, introduction, guardian details,
    the calendar link, SMS bodies and numbers, unsent SMS (theirs and their
    guardian's; the copies at the SMS provider are queued and deleted there by
    the ``provider-erasure`` job, :mod:`app.privacy.provider`). The birth date is
    cut to 1 January of the birth year. The account is deactivated and its
    sessions end; an open guardian consent is closed; future errands go back
    to matching.

    What stays, without a name: the profile row with municipality, village,
    transport, task types and profile (so encounter statistics still count
    this anonymous helper), encounters, assignments done and consent dates.
    """
    user = profile.user
    released = release_future_work(profile, by=None, actor_kind="helper", note="helper deleted their account")
    # Their SMS and their guardian's: unsent ones deleted, the rest blanked, the copies at
    # the provider queued for deletion there (the erasure's own rule, app.privacy.erasure).
    from app.privacy import erasure, people  # imported here: the privacy area imports this one

    messages = erasure.ErasureReport()
    phones = [p for p in (profile.phone, *people.guardian_phones(profile)) if p]
    erasure.blank_messages(people.helper_messages(profile), phones, messages)

    now = utcnow()
    for consent in profile.consents:
        if consent.status in ("requested", "given"):
            consent.status = "withdrawn" if consent.status == "given" else "refused"
            consent.withdrawn_at = now
            consent.withdrawn_via = "account_deleted"
        consent.guardian_name = DELETED_NAME
        consent.guardian_phone = ""
        consent.token_hash = f"deleted-{secrets.token_hex(24)}"

    profile.first_name = DELETED_NAME
    profile.last_name = DELETED_NAME
    profile.birth_date = date(profile.birth_date.year, 1, 1)
    profile.phone = ""
    profile.address_text = None
    profile.lat = None
    profile.lon = None
    profile.geocode_status = "deleted"
    profile.introduction = ""
    profile.guardian_name = None
    profile.guardian_phone = None
    profile.calendar_token = None
    profile.paused_until = None
    profile.suspension_reason = None
    profile.status = "deleted"

    user.name = DELETED_NAME
    user.email = f"deleted-{user.id}-{secrets.token_hex(6)}@deleted.invalid"
    user.phone = None
    user.set_password(secrets.token_urlsafe(32))
    user.active = False
    end_all_sessions(user)
    db.session.flush()
    record(
        "helper_account_deleted",
        profile,
        actor=user,
        assignments_cancelled=released.assignments,
        messages_blanked=messages.messages_blanked,
        messages_deleted=messages.messages_deleted,
        provider_copies=messages.provider_copies,
    )
    return released
