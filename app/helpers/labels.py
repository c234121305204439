"""Translatable names for the helper area's codes (transport, parts of day,
statuses, profiles...). Kept in one place so forms, pages and SMS agree."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from app.helpers.profile_fit import PROFILE_NAMES
from app.i18n import current_language

TRANSPORT_LABELS = {
    "foot": _l("On foot"),
    "bike": _l("By bike"),
    "moped": _l("By moped"),
    "car": _l("By car"),
}

#: Default distance (km) for each way of moving, used when the helper leaves it empty.
DEFAULT_DISTANCE_KM = {"foot": 2, "bike": 6, "moped": 15, "car": 30}
MAX_DISTANCE_KM = 50

WEEKDAYS = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)
WEEKDAYS_SHORT = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))

PARTS_OF_DAY = ("morning", "afternoon", "evening")
PART_LABELS = {
    "morning": _l("Morning 8–12"),
    "afternoon": _l("Afternoon 12–16"),
    "evening": _l("Evening 16–20"),
}
PART_LABELS_SHORT = {"morning": _l("Morning"), "afternoon": _l("Afternoon"), "evening": _l("Evening")}
PART_HOURS = {"morning": "8–12", "afternoon": "12–16", "evening": "16–20"}

LANGUAGE_LABELS = {"fi": _l("Finnish"), "sv": _l("Swedish"), "en": _l("English"), "other": _l("Another language")}

STATUS_LABELS = {
    "pending": _l("Waiting for approval"),
    "approved": _l("Approved"),
    "suspended": _l("Suspended"),
    "deleted": _l("Deleted"),
}

CONSENT_STATE_LABELS = {
    "not_needed": _l("Not needed (18 or over)"),
    "waiting": _l("Waiting for the guardian's consent"),
    "given": _l("Guardian has given consent"),
    "withdrawn": _l("Guardian has withdrawn consent"),
    "refused": _l("Guardian has refused consent"),
    "missing": _l("No guardian consent"),
}

CONSENT_STATUS_LABELS = {
    "requested": _l("Requested"),
    "given": _l("Given"),
    "withdrawn": _l("Withdrawn"),
    "refused": _l("Refused"),
    "superseded": _l("Replaced by a newer request"),
}

CONSENT_VIA_LABELS = {
    "link": _l("by the link"),
    "sms": _l("by SMS"),
    "phone": _l("on the phone to a coordinator"),
    "account_deleted": _l("the helper deleted the account"),
}

SLIDER_LABELS = {
    "sociable": (_l("Sociable"), _l("Acts alone")),
    "producer": (_l("Service user"), _l("User-producer")),
    "others": (_l("Looks after self"), _l("Looks after others too")),
    "digital": (_l("Electronic services"), _l("Visiting in person")),
}

SLIDER_QUESTIONS = {
    "sociable": _l("Do you like doing things with others, or on your own?"),
    "producer": _l("Do you mostly use what is offered, or like to make and organise things yourself?"),
    "others": _l("Do you mostly look after yourself, or also after others?"),
    "digital": _l("Do you prefer handling things online, or meeting people in person?"),
}

PROFILE_GLOSS = {
    "vahaan_tyytyvat": _l("Content with little"),
    "arjen_pyorittajat": _l("Keeping daily life running"),
    "tulevaisuususkoiset": _l("Believers in the future"),
    "toivokkaat": _l("The hopeful"),
}

PROFILE_DESCRIPTIONS = {
    "vahaan_tyytyvat": _l(
        "You like to keep things simple and close to home. Meeting people face to face and familiar routines "
        "matter to you. Regular, clear errands with the same older person could suit you well."
    ),
    "arjen_pyorittajat": _l(
        "Your days run on routines and a few important people. You are handy with phones and online services – "
        "a skill many older people would love some help with."
    ),
    "tulevaisuususkoiset": _l(
        "You are active and take the initiative. You use many online services and moving is part of your day – "
        "walks and outdoor errands could be your thing."
    ),
    "toivokkaat": _l(
        "You are looking for your own role and strengths and like to be there for others. Small successes with "
        "an older neighbour can grow into something bigger."
    ),
}


def profile_label(code: str | None) -> str:
    """The concept's Finnish name, glossed in Swedish and English: "Toivokkaat (The hopeful)"."""
    if not code:
        return ""
    if current_language() == "fi":
        return PROFILE_NAMES[code]
    return f"{PROFILE_NAMES[code]} ({PROFILE_GLOSS[code]})"


GEOCODE_LABELS = {
    "ok": _l("Address found on the map"),
    "approximate": _l("Approximate: the village or municipal centre"),
    "failed": _l("Address not found: placed at the village or municipal centre"),
    "pending": _l("Not placed yet"),
    "manual": _l("Placed by hand"),
    "deleted": _l("Deleted"),
}

ACTION_LABELS = {
    "helper_registered": _l("Signed up"),
    "helper_profile_updated": _l("Profile edited by the helper"),
    "helper_approved": _l("Approved"),
    "helper_suspended": _l("Suspended"),
    "helper_reinstated": _l("Suspension lifted"),
    "helper_profile_corrected": _l("Youth profile set by a coordinator"),
    "helper_paused": _l("Break started"),
    "helper_resumed": _l("Break ended"),
    "helper_account_deleted": _l("Account deleted"),
    "guardian_consent_requested": _l("Consent requested from the guardian"),
    "guardian_consent_given": _l("Guardian gave consent"),
    "guardian_consent_withdrawn": _l("Guardian withdrew consent"),
    "guardian_consent_refused": _l("Guardian refused consent"),
}
