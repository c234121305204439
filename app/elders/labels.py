"""What the stored codes of an older resident's record mean, in words.

The profile names are the concept's own Finnish terms (CONCEPT.md) and stay
Finnish in every language; the one-line descriptions are translated.
Kotoilija and Rutinoitunut are only named on the concept slide, so their
descriptions say no more than the names do.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

PROFILES: dict[str, tuple[str, str]] = {
    "yhteisoaktiivi": (
        "Yhteisöaktiivi",
        _l("Community activist: active in associations, feels responsible for others, asks for help when needed."),
    ),
    "arjen_aktivisti": (
        "Arjen aktivisti",
        _l("Everyday activist: often a couple, the basics matter, worried about staying healthy, no e-services."),
    ),
    "koti_kunniaan": (
        "Koti kunniaan",
        _l("Home first: busy at home and in the garden, alone a lot, a few close people help, unsure about help."),
    ),
    "kotoilija": ("Kotoilija", _l("Home body: likes to spend the days at home and to be visited there.")),
    "rutinoitunut": ("Rutinoitunut", _l("Routine-bound: the day runs on familiar routines and habits.")),
}

#: The four sliders (model column, left end, right end); 1 is the left end, 5 the right.
SLIDERS: tuple[tuple[str, str, str], ...] = (
    ("slider_sociable", _l("Sociable"), _l("Acts alone")),
    ("slider_producer", _l("Service user"), _l("User-producer")),
    ("slider_others", _l("Looks after self"), _l("Looks after others too")),
    ("slider_digital", _l("Electronic services"), _l("Visiting in person")),
)

CHANNELS = {
    "sms_self": _l("SMS to them (needs a mobile number)"),
    "sms_relative": _l("SMS to a relative or other contact person"),
    "voice": _l("Automated phone call (also to a landline; keys 1-3 answer)"),
    "coordinator_call": _l("The coordinator calls"),
}

LANGUAGES = {"fi": _l("Finnish"), "sv": _l("Swedish")}

STATUSES = {"active": _l("Active"), "paused": _l("Paused"), "ended": _l("Ended")}

GEOCODE_STATUSES = {
    "ok": _l("Located at the address"),
    "approximate": _l("Approximate location"),
    "manual": _l("Placed by hand"),
    "failed": _l("Not on the map"),
    "pending": _l("Not located yet"),
}

CONSENT_METHODS = {"verbal": _l("Verbally"), "written": _l("In writing")}

PHONE_KINDS = {"mobile": _l("mobile"), "landline": _l("landline")}


#: Field names used in the history (audit log) of a resident.
FIELDS = {
    "organization_id": _l("Organization"),
    "first_name": _l("First name"),
    "last_name": _l("Last name"),
    "phone": _l("Phone number"),
    "contact_channel": _l("How to reach them"),
    "language": _l("Language"),
    "street_address": _l("Street address"),
    "postcode": _l("Postal code"),
    "municipality_id": _l("Municipality"),
    "village_id": _l("Village or district"),
    "access_notes": _l("Door and access notes"),
    "elder_profile": _l("Profile"),
    "slider_sociable": _l("Sociable – acts alone"),
    "slider_producer": _l("Service user – user-producer"),
    "slider_others": _l("Looks after self – looks after others too"),
    "slider_digital": _l("Electronic services – visiting in person"),
    "prefers_continuity": _l("The same helper whenever possible"),
    "preferences": _l("Other wishes that help find a good match"),
    "health_notes": _l("Health and safety notes"),
    "consent": _l("Consent"),
    "contacts": _l("Relatives and other contact persons"),
}
