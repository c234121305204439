"""The coordinator's errand pages in plain words: each matching reason and
hard rule as a sentence in the user's language, and the notes the errand state
machine writes on its history.

The reasons come from :mod:`app.matching.score` as a ``code`` and ``params``;
this module turns them into sentences such as "3,2 km away, travels by bike up
to 6 km" or "Has helped Aili 4 times before (feedback 4,5/5)".
"""

from __future__ import annotations

import re
from datetime import datetime
from decimal import Decimal
from functools import lru_cache

from babel import numbers
from babel.dates import get_day_names
from flask_babel import format_decimal, get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from app.i18n import current_language, local_formatter
from app.matching import score

_TENTH, _ONE = Decimal("0.1"), Decimal(1)


def _km(value: object) -> str:
    """A distance in the reader's language ("3,2 km", "12 km"): the same text as Flask-Babel's
    ``format_decimal`` with the same pattern, from the number rounded as Babel rounds it (to
    the pattern's digits, half to even, from the float's shortest text), each rounded
    distance formatted once per language (:func:`_km_text`): a ranking words a hundred
    distances, and Babel's formatting of each was most of the wording's time."""
    v = float(value)  # type: ignore[arg-type]
    small = v < 10
    return _km_text(Decimal(str(v)).quantize(_TENTH if small else _ONE), small, current_language())


@lru_cache(maxsize=4096)
def _km_text(rounded: Decimal, small: bool, language: str) -> str:
    return f"{numbers.format_decimal(rounded, format='#,##0.0' if small else '#,##0', locale=language)} km"


def _travel_sentence(p: dict, *, too_far: bool) -> str:
    mode = {"foot": "walk"}.get(str(p.get("travel_mode")), p.get("travel_mode"))
    args = {"distance": _km(p.get("distance_km", 0.0)), "max": _km(p.get("max_km", 0.0))}
    # One sentence translated per reason (a page explains a hundred), not all of them.
    if too_far:
        texts = {
            "walk": lambda: _("%(distance)s away: further than the %(max)s they walk", **args),
            "bike": lambda: _("%(distance)s away: further than the %(max)s they travel by bike", **args),
            "moped": lambda: _("%(distance)s away: further than the %(max)s they travel by moped", **args),
            "car": lambda: _("%(distance)s away: further than the %(max)s they travel by car", **args),
        }
        return texts.get(str(mode), lambda: _("%(distance)s away: further than the %(max)s they travel", **args))()
    texts = {
        "walk": lambda: _("%(distance)s away, walks up to %(max)s", **args),
        "bike": lambda: _("%(distance)s away, travels by bike up to %(max)s", **args),
        "moped": lambda: _("%(distance)s away, travels by moped up to %(max)s", **args),
        "car": lambda: _("%(distance)s away, travels by car up to %(max)s", **args),
    }
    return texts.get(str(mode), lambda: _("%(distance)s away, travels up to %(max)s", **args))()


def _language_sentence(code: str, *, speaks: bool) -> str:
    if speaks:
        texts = {
            "fi": lambda: _("Speaks Finnish"),
            "sv": lambda: _("Speaks Swedish"),
            "en": lambda: _("Speaks English"),
            "se": lambda: _("Speaks Sami"),
        }
        return texts.get(code, lambda: _("Speaks the person's language (%(code)s)", code=code))()
    texts = {
        "fi": lambda: _("Does not list Finnish, the person's language"),
        "sv": lambda: _("Does not list Swedish, the person's language"),
        "en": lambda: _("Does not list English, the person's language"),
        "se": lambda: _("Does not list Sami, the person's language"),
    }
    return texts.get(code, lambda: _("Does not list the person's language (%(code)s)", code=code))()


def slot_words(slots: frozenset[tuple[int, str]] | tuple) -> str:
    """For example "Tuesday afternoon, Tuesday evening", in the user's language."""

    days = get_day_names("wide", context="stand-alone", locale=get_locale() or "fi")
    parts = {"morning": _("morning"), "afternoon": _("afternoon"), "evening": _("evening")}
    return ", ".join(f"{days[wd]} {parts[part]}" for wd, part in sorted(slots, key=_slot_order))


def _slot_order(slot: tuple[int, str]) -> tuple[int, int]:
    return slot[0], score.PARTS_OF_DAY.index(slot[1])


def explain(item: score.Reason | score.Exclusion, *, person: str, task: str, spec: score.ErrandSpec) -> str:
    """One reason or exclusion as a sentence in the user's language."""
    p = item.as_dict()
    code = item.code
    if code == "distance":
        return _travel_sentence(p, too_far=False)
    if code == "too_far":
        return _travel_sentence(p, too_far=True)
    if code == "distance_unknown":
        if p.get("missing") == "errand":
            return _("Distance unknown: the person's home has no location yet")
        return _("Distance unknown: no home location, lives in the same municipality")
    if code == "task":
        return _("Offers help with this task (%(task)s)", task=task)
    if code == "task_not_offered":
        return _("Has not offered help with this task (%(task)s)", task=task)
    slots = score.slots_for_window(spec.starts_at, spec.ends_at)
    if code == "availability":
        return _("Usually available at this time (%(when)s)", when=slot_words(slots))
    if code == "availability_partial":
        return _(
            "Usually available for part of the time (%(covered)s of %(total)s parts of the day)",
            covered=p.get("covered"),
            total=p.get("total"),
        )
    if code == "availability_none":
        return _("Has not marked this time as available (%(when)s)", when=slot_words(slots))
    if code == "availability_unknown":
        return _("The time is outside the usual parts of the day (08–20)")
    if code in ("continuity", "continuity_poor"):
        n = int(p.get("errands", 0))  # type: ignore[arg-type]
        fb = p.get("feedback")
        feedback = format_decimal(float(fb), format="0.0") if fb is not None else None  # type: ignore[arg-type]
        if code == "continuity_poor":
            return _(
                "Has helped %(name)s before, but the feedback was low (%(feedback)s/5)", name=person, feedback=feedback
            )
        if n == 1:
            text = _("Has helped %(name)s once before", name=person)
        else:
            text = _("Has helped %(name)s %(count)s times before", name=person, count=n)
        if feedback is not None:
            text += " " + _("(feedback %(feedback)s/5)", feedback=feedback)
        if p.get("prefers"):
            text += "; " + _("%(name)s values seeing the same helper", name=person)
        return text
    if code == "language":
        return _language_sentence(str(p.get("language")), speaks=True)
    if code == "language_missing":
        return _language_sentence(str(p.get("language")), speaks=False)
    if code == "fairness":
        n = int(p.get("recent", 0))  # type: ignore[arg-type]
        if n == 0:
            return _("Has had no errands in the last 30 days: their turn")
        if n == 1:
            return _("Has had one errand in the last 30 days")
        return _("Has had %(count)s errands in the last 30 days", count=n)
    if code == "profile":
        elder = score.ELDER_PROFILE_NAMES.get(str(p.get("elder_profile")), str(p.get("elder_profile")))
        youth = score.YOUTH_PROFILE_NAMES.get(str(p.get("youth_profile")), str(p.get("youth_profile")))
        return _("Fits the profile: %(elder)s and %(youth)s tend to suit each other", elder=elder, youth=youth)
    if code == "preferred":
        return _("%(name)s asked for this helper", name=person)
    if code == "not_approved":
        return _("Not approved yet")
    if code == "paused":
        return _("Has paused helping")
    if code == "suspended":
        return _("Suspended")
    if code == "no_guardian_consent":
        return _("Under 18 and no guardian's consent")
    if code in ("minor_hours", "busy"):
        time = local_formatter("time")
        start, end = p.get("start"), p.get("end")
        times = {
            "start": time(start) if isinstance(start, datetime) else "",
            "end": time(end) if isinstance(end, datetime) else "",
        }
        if code == "minor_hours":
            return _("Under 18: may help only between 08 and 20 (this errand %(start)s–%(end)s)", **times)
        return _("Already has an errand %(start)s–%(end)s", **times)
    return code


# The notes app.errands.lifecycle writes on ErrandEvents, in the reader's language.
_OUTSIDE = {"unavailable": _l("outside the times they gave"), "exception": _l("on a day they marked away")}

_NOTE_PATTERNS = (
    (
        re.compile(r"^assigned outside availability: (?P<why>\w+)$"),
        lambda m: _("Assigned by a coordinator %(why)s", why=_OUTSIDE.get(m["why"], m["why"])),
    ),
    (re.compile(r"^offered: (?P<names>.+)$", re.S), lambda m: _("Offered to %(names)s", names=m["names"])),
    (re.compile(r"^declined: (?P<name>.+)$", re.S), lambda m: _("%(name)s declined", name=m["name"])),
    (
        re.compile(r"^accepted: (?P<name>.+) \((?P<filled>\d+)/(?P<needed>\d+)\)$", re.S),
        lambda m: _("%(name)s took the errand (%(filled)s/%(needed)s)", **m.groupdict()),
    ),
    (
        re.compile(r"^withdrawn late: (?P<name>[^:]+): (?P<reason>.*)$", re.S),
        lambda m: _("%(name)s withdrew late: %(reason)s", **m.groupdict()),
    ),
    (
        re.compile(r"^withdrawn: (?P<name>[^:]+): (?P<reason>.*)$", re.S),
        lambda m: _("%(name)s withdrew: %(reason)s", **m.groupdict()),
    ),
    (re.compile(r"^done: (?P<name>.+)$", re.S), lambda m: _("%(name)s marked it done", name=m["name"])),
)
_FIXED_NOTES = {
    "went ahead with fewer helpers": _l("Went ahead with fewer helpers"),
    "offers expired": _l("The offers expired"),
    "started without a helper": _l("Started without a helper"),
}


def event_note(note: str | None) -> str:
    if not note:
        return ""
    if note in _FIXED_NOTES:
        return str(_FIXED_NOTES[note])
    for pattern, words in _NOTE_PATTERNS:
        match = pattern.match(note)
        if match:
            return words(match)
    return note
