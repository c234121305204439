"""Who may see and do what with shared activities; the organization rule itself is app.policy's.

* Coordinators (and admins) plan, approve, invite, add people and take attendance for
  the activities of their own organizations (:func:`app.policy.may_see_org`).
* A helper sees the approved activities of their organizations (:func:`app.policy.helper_org_ids`)
  and signs up for them; the helper who runs an activity takes its attendance.
* A helper may propose an activity when approved and eligible on its day (a minor only with a
  guardian's consent: :meth:`HelperProfile.is_eligible_on`) and, when under 18, only within
  minors' hours (:func:`app.matching.score.minor_hours_ok`). A coordinator approves it before
  anyone is invited.
"""

from __future__ import annotations

from datetime import datetime

from app import policy
from app.i18n import today_local
from app.matching.score import minor_hours_ok
from app.models import Activity, HelperProfile, User


def may_manage(user: User, activity: Activity) -> policy.Decision:
    if user.role not in ("coordinator", "admin"):
        return policy.Decision(False, "no_role")
    return policy.may_see_org(user, activity.organization_id)


def own_profile(user: User) -> HelperProfile | None:
    return user.helper_profile if user.role == "helper" else None


def helper_may_see(helper: HelperProfile, activity: Activity) -> bool:
    return activity.status == "approved" and activity.organization_id in policy.helper_org_ids(helper)


def may_take_attendance(user: User, activity: Activity) -> bool:
    if may_manage(user, activity):
        return True
    profile = own_profile(user)
    return profile is not None and profile.id == activity.runner_helper_id and profile.status == "approved"


def helper_may_sign_up(helper: HelperProfile, activity: Activity) -> str | None:
    """None when the helper may sign up, else the reason code."""
    if not helper_may_see(helper, activity):
        return "not_allowed"
    day = today_local(activity.starts_at)
    if not helper.is_eligible_on(day):
        return "not_eligible"
    if helper.is_minor_on(day) and not minor_hours_ok(activity.starts_at, activity.ends_at):
        return "minor_hours"
    return None


def helper_may_propose(helper: HelperProfile, starts_at: datetime, ends_at: datetime) -> str | None:
    """None when the helper may propose an activity at this time, else the reason code."""
    if helper.status != "approved":
        return "not_allowed"
    day = today_local(starts_at)
    if not helper.is_eligible_on(day):
        return "not_eligible"
    if helper.is_minor_on(day) and not minor_hours_ok(starts_at, ends_at):
        return "minor_hours"
    return None
