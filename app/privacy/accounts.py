"""A helper deletes their own account (GDPR article 17, on their own request).

The privacy area owns it because it is an erasure: the same rules blank
their messages as when a coordinator erases an older resident
(:mod:`app.privacy.erasure`). Their future errands go back to matching
through the errand lifecycle first.
"""

from __future__ import annotations

import secrets
from datetime import date

import sqlalchemy as sa
from flask_babel import force_locale

from app.alerts import describe
from app.audit import record
from app.auth.sessions import end_all_sessions
from app.errands.lifecycle import Released, release_helper
from app.extensions import db
from app.helpers.services import DELETED_NAME
from app.models import CoordinatorAlert, HelperProfile, utcnow
from app.privacy import erasure, people


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
    released = release_helper(profile, by=None, actor_kind="helper", reason="helper deleted their account")
    # Their SMS and their guardian's: unsent ones deleted, the rest blanked, the copies at
    # the provider queued for deletion there (the erasure's own rule, app.privacy.erasure).
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
    # A late release raised an alert that names them: its stored text is written again without the name.
    for alert in db.session.scalars(sa.select(CoordinatorAlert).where(CoordinatorAlert.helper_id == profile.id)):
        with force_locale("fi"):
            alert.message = describe(alert)[:500]
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
