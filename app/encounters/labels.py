"""Words for the codes of encounters, stages and check-ins, in the user's language.

The pure modules (`stages`, `wellbeing`) speak in stable codes and plain
English; this module maps every code to a translatable string. The English
rule texts are the same sentences as `stages.RULE_TEXT` (a test checks this),
with the thresholds filled in from the rule constants.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext

from app.encounters import stages as s
from app.encounters import wellbeing as w

KIND_LABELS = {
    "home_help": _l("Help at home"),
    "company_walk": _l("Company or a walk"),
    "shared_activity": _l("Shared activity"),
    "community_event": _l("Community event"),
}
KIND_HINTS = {
    "home_help": _l("One-to-one help, e.g. shopping, post or small chores."),
    "company_walk": _l("Keeping company, an afternoon walk, a cup of coffee."),
    "shared_activity": _l("Doing something together, e.g. a club evening or a course."),
    "community_event": _l("An event open to the village: a party, a fair, a talk."),
}
PLACE_LABELS = {
    "home": _l("At the older person's home"),
    "outdoors": _l("Outdoors"),
    "shared_space": _l("A shared space"),
}
INITIATOR_LABELS = {
    "coordinator": _l("The coordinator"),
    "helper": _l("A young helper"),
    "elder": _l("An older person"),
    "participants": _l("The participants together"),
}
LEADER_LABELS = {
    "coordinator": _l("The coordinator"),
    "helper": _l("A young helper"),
    "elder": _l("An older person (e.g. teaching the young)"),
    "together": _l("Young and old together"),
}
VIA_LABELS = {
    "web": _l("on the website"),
    "sms": _l("by text message"),
    "coordinator": _l("by the coordinator after a call"),
    "voice": _l("with the keypad in an automated call"),
}
STAGE_LABELS = {
    0: _l("No encounters yet"),
    1: _l("Easy encounters"),
    2: _l("Shared spaces and doing together"),
    3: _l("Communal operating models"),
}
SUBJECT_LABELS = {"pair": _l("pair"), "helper": _l("young helper"), "elder": _l("older person")}

# Rule texts: identical in English to stages.RULE_TEXT once formatted with RULE_PARAMS.
RULE_PARAMS: Mapping[str, int] = {
    "days": s.LOOKBACK_DAYS,
    "together": s.STAGE2_MIN_TOGETHER,
    "self_started": s.STAGE3_MIN_SELF_INITIATED,
}
_RULES = {
    s.REASON_NO_ENCOUNTERS: _l("No encounters have taken place yet."),
    s.REASON_MET: _l("At least one encounter has taken place."),
    s.REASON_TOGETHER: _l(
        "In the last %(days)s days there were at least %(together)s encounters in a shared space, "
        "in a shared activity or at a community event."
    ),
    s.REASON_SELF_INITIATED: _l(
        "In the last %(days)s days the participants themselves started at least %(self_started)s encounters."
    ),
    s.REASON_ROLES_BOTH_WAYS: _l(
        "In the last %(days)s days an older person led an encounter, or young and old led it together: "
        "roles go both ways."
    ),
    s.REASON_ORGANISED: _l("In the last %(days)s days a participant organised an encounter for others."),
    s.REASON_OVERRIDE: _l("A coordinator set this stage and gave a reason."),
    s.NEXT_FIRST_ENCOUNTER: _l("Have a first encounter, for example help at home or a walk."),
    s.NEXT_MEET_TOGETHER: _l(
        "Meet at least %(together)s times within %(days)s days in a shared space, in a shared activity "
        "or at a community event."
    ),
    s.NEXT_SELF_INITIATED: _l(
        "Start at least %(self_started)s encounters yourselves within %(days)s days, without the "
        "coordinator arranging them."
    ),
    s.NEXT_OWNERSHIP: _l(
        "Within %(days)s days, let an older person lead an encounter (or lead one together), "
        "or organise something for others."
    ),
}


def rule_text(code: str) -> str:
    """A reason or next-step code as a sentence in the current language."""
    text = _RULES.get(code)
    if text is None:
        return s.describe(code)
    return str(text) % RULE_PARAMS


def stage_label(stage: int | None) -> str:
    return str(STAGE_LABELS.get(stage if stage is not None else 0, stage))


# --- Well-being check-ins ------------------------------------------------------------

QUESTION_LABELS = {
    "ucla_companionship": _l("How often do you feel that you lack companionship?"),
    "ucla_left_out": _l("How often do you feel left out?"),
    "ucla_isolated": _l("How often do you feel isolated from others?"),
    "good_days": _l("How many good days did you have in the last week?"),
    "meaningful_role": _l("How much do you feel you have a meaningful role in your community?"),
    "future_belief": _l("How much do you believe in your own future?"),
}
OPTION_LABELS = {
    "Hardly ever": _l("Hardly ever"),
    "Some of the time": _l("Some of the time"),
    "Often": _l("Often"),
    "Not at all": _l("Not at all"),
    "A little": _l("A little"),
    "Somewhat": _l("Somewhat"),
    "Quite a lot": _l("Quite a lot"),
    "Very much": _l("Very much"),
}
MEASURE_LABELS = {
    "loneliness_total": _l("Loneliness score"),
    "good_days": _l("Good days in the last week"),
    "meaningful_role": _l("Sense of a meaningful role"),
    "future_belief": _l("Belief in the future"),
}
MEASURE_SCALES = {
    "loneliness_total": _l("3–9, lower is better"),
    "good_days": _l("0–7, more is better"),
    "meaningful_role": _l("1–5, higher is better"),
    "future_belief": _l("1–5, higher is better"),
}
CHECKIN_ERRORS = {
    w.ERROR_MISSING: _l("Please choose an answer."),
    w.ERROR_UNKNOWN_ITEM: _l("This question is not part of the check-in."),
    w.ERROR_NOT_INTEGER: _l("Please choose one of the offered answers."),
    w.ERROR_OUT_OF_RANGE: _l("Please choose one of the offered answers."),
}


def option_label(label: str) -> str:
    """An answer option in the current language ("3 days" for the good-days item)."""
    known = OPTION_LABELS.get(label)
    if known is not None:
        return str(known)
    number = label.split(" ", 1)[0]
    if number.isdigit():
        return ngettext("%(num)s day", "%(num)s days", int(number))
    return label


def describe_change(code: str, m: Mapping[str, Any]) -> str:
    """One measure's change in plain words, e.g. "Loneliness score went down from 7 to 5 (better)"."""
    label = str(MEASURE_LABELS.get(code, code))
    if m["direction"] == "improved":
        verdict = _("better")
    elif m["direction"] == "worsened":
        verdict = _("worse")
    else:
        verdict = ""
    if m["difference"] < 0:
        return _("%(measure)s went down from %(before)s to %(after)s (%(verdict)s)", measure=label,
                 before=m["before"], after=m["after"], verdict=verdict)  # fmt: skip
    if m["difference"] > 0:
        return _("%(measure)s went up from %(before)s to %(after)s (%(verdict)s)", measure=label,
                 before=m["before"], after=m["after"], verdict=verdict)  # fmt: skip
    return _("%(measure)s stayed at %(value)s", measure=label, value=m["after"])
