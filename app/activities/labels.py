"""What the activities' codes read as, in the reader's language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.encounters.labels import KIND_LABELS

PLACE_KIND_LABELS = {
    "library": _l("Library"),
    "parish_hall": _l("Parish hall"),
    "club_room": _l("Club room"),
    "cafe": _l("Café"),
    "youth_centre": _l("Youth centre"),
    "other": _l("Other shared space"),
}
ACTIVITY_KIND_LABELS = {k: KIND_LABELS[k] for k in ("shared_activity", "community_event", "company_walk")}
RUN_BY_LABELS = {
    "coordinator": _l("A coordinator"),
    "helpers": _l("Young helpers"),
    "elders": _l("Older residents"),
    "together": _l("Young and old together"),
}
RECURRENCE_LABELS = {"none": _l("Once"), "weekly": _l("Every week"), "biweekly": _l("Every second week")}
STATUS_LABELS = {
    "proposed": _l("Proposed, waiting for approval"),
    "approved": _l("Approved"),
    "cancelled": _l("Cancelled"),
}
SIGNUP_LABELS = {
    "signed_up": _l("Coming"),
    "waiting": _l("On the waiting list"),
    "cancelled": _l("Cancelled"),
    "attended": _l("Came"),
    "no_show": _l("Did not come"),
}
VIA_LABELS = {
    "web": _l("on the web"),
    "sms": _l("by text message"),
    "voice": _l("by an automated call"),
    "coordinator": _l("by a coordinator"),
}
CHANNEL_LABELS = {
    "sms": _l("Text message"),
    "sms_relative": _l("Text message to a relative"),
    "voice": _l("Automated call"),
    "call": _l("Call to invite (coordinator)"),
    "board": _l("Board only"),
}
SIDE_LABELS = {"young": _l("Young helpers"), "old": _l("Older residents")}
HISTORY_LABELS = {
    "activity.planned": _l("Planned"),
    "activity.approved": _l("Approved"),
    "activity.cancelled": _l("Cancelled"),
    "activity.edited": _l("Changed"),
    "activity.invited": _l("Invitations sent"),
    "activity.signed_up": _l("Signed up"),
    "activity.signup_cancelled": _l("Sign-up cancelled"),
    "activity.attendance": _l("Attendance saved"),
}

ERRORS = {
    "title_required": _l("Please give the activity a name."),
    "unknown_kind": _l("Please choose what kind of activity it is."),
    "unknown_run_by": _l("Please choose who runs it."),
    "unknown_recurrence": _l("Please choose how often it repeats."),
    "ends_before_start": _l("The end time must be after the start time."),
    "in_past": _l("That day has passed. Choose today or a later day."),
    "until_required": _l("Please give the last day of the repetition, after the first day."),
    "until_too_far": _l("A repetition can last at most six months."),
    "bad_capacity": _l("Give room for at least two people (young and old together)."),
    "bad_minimum": _l("The minimum cannot be more than the places."),
    "unknown_place": _l("Please choose a place from the list."),
    "capacity_below_signups": _l("More people have already signed up than these places. Keep the places larger."),
    "place_name_required": _l("Please name the place."),
    "unknown_place_kind": _l("Please choose what kind of place it is."),
    "place_exists": _l("This municipality already has a place with this name."),
    "not_allowed": _l("Only approved helpers can do this."),
    "not_eligible": _l("You cannot do this now: your account needs approval, or a guardian's consent."),
    "minor_hours": _l("Helpers under 18 can take part only between 8:00 and 20:00."),
    "not_found": _l("This activity no longer exists."),
    "not_open": _l("This activity is not open for signing up."),
    "not_approved": _l("Approve the activity before inviting people."),
    "started": _l("This activity has already started."),
    "attendance_saved": _l("The attendance of this activity has already been saved."),
    "not_yet": _l("Attendance can be taken when the activity starts."),
    "no_person": _l("Please choose a person."),
}


def error_text(code: str) -> str:
    return str(ERRORS.get(code, _l("Something in the form needs checking.")))
