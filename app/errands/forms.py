"""Forms of the coordinator's errand pages, and the words for stored codes."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    SubmitField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.i18n import current_language

STATE_LABELS = {
    "open": _l("Waiting for a helper"),
    "offered": _l("Offered to helpers"),
    "assigned": _l("Helper found"),
    "done": lazy_pgettext("errand state", "Done"),
    "cancelled": _l("Cancelled"),
    "withdrawn": _l("Withdrawn"),
    "no_show": _l("Helper did not come"),
    "expired": _l("Expired"),
}
_PLAIN: dict[tuple[int, str], dict[str, str]] = {}


def plain_labels(labels: dict) -> dict[str, str]:
    """``labels`` (one of the dicts of this module) as plain text in the reader's
    language, translated once per language rather than once per row of a long list."""
    key = (id(labels), current_language())
    words = _PLAIN.get(key)
    if words is None:
        words = _PLAIN[key] = {code: str(label) for code, label in labels.items()}
    return words


#: Badge colour class per state ("" = neutral).
STATE_BADGES = {"assigned": "ok", "done": "ok", "open": "warn", "offered": "warn"}

#: How good a candidate is, in words (the bands: app.matching.score.strength).
STRENGTH_LABELS = {"very_good": _l("Very good"), "good": _l("Good"), "possible": _l("Possible")}

OFFER_LABELS = {
    "pending": _l("Waiting for an answer"),
    "accepted": _l("Took the errand"),
    "declined": _l("Said no"),
    "taken": _l("Someone else took it"),
    "expired": _l("Expired"),
    "cancelled": _l("Cancelled"),
}
ASSIGNMENT_LABELS = {
    "active": _l("Coming to help"),
    "withdrawn": _l("Withdrew"),
    "done": lazy_pgettext("errand state", "Done"),
    "no_show": _l("Did not come"),
    "cancelled": _l("Cancelled"),
}
ACTOR_LABELS = {
    "coordinator": _l("coordinator"),
    "helper": _l("helper"),
    "elder": _l("the person"),
    "relative": _l("relative"),
    "system": _l("automatically"),
    "sms": _l("by SMS"),
}
REQUESTER_LABELS = {
    "elder": _l("The person themself"),
    "relative": _l("A relative or contact person"),
    "other": _l("Someone else"),
    "coordinator": _l("A coordinator"),
}
RECURRENCE_LABELS = {"none": _l("Does not repeat"), "weekly": _l("Every week"), "biweekly": _l("Every second week")}
CANCELLED_BY_LABELS = {"coordinator": _l("The coordinator"), "elder": _l("The person"), "relative": _l("A relative")}

#: Messages for the rule codes of app.errands.requests.check_request.
PROBLEM_MESSAGES = {
    "elder_unknown": _l("Choose the older person first."),
    "elder_not_active": _l("This person's record is paused or ended: activate it on their page first."),
    "elder_erased": _l("This person's personal data was erased: no request can be saved for them."),
    "elder_no_consent": _l(
        "No consent is recorded for this person, so no request can be saved. Ask for their consent, record it on "
        "their page, then save the request: what you typed here is kept."
    ),
    "task_type_unknown": _l("Choose what kind of help is needed."),
    "requested_by_unknown": _l("Choose who is asking."),
    "contact_missing": _l("Choose which contact person called."),
    "contact_not_of_elder": _l("This contact person is not on this person's record."),
    "caller_name_missing": _l("Write the caller's name."),
    "duration_range": _l("The expected duration must be between 15 minutes and 8 hours."),
    "helpers_range": _l("Choose 1, 2 or 3 helpers."),
    "date_past": _l("The date has already passed."),
    "date_to_missing": _l("Give the last day of the flexible period."),
    "date_to_before": _l("The last day cannot be before the first day."),
    "flexible_too_long": _l("A flexible period can be at most a month long."),
    "flexible_repeat": _l("A flexible request cannot repeat; choose set times for a repeating request."),
    "time_missing": _l("Give the start time."),
    "time_order": _l("The end time must be after the start time."),
    "window_shorter_than_duration": _l("The time window is shorter than the expected duration."),
    "time_past": _l("This time has already passed today; choose a later time."),
    "recurrence_unknown": _l("Choose how the request repeats."),
    "until_missing": _l("Give the date until which the request repeats."),
    "until_before": _l("The repeat end date cannot be before the first day."),
    "until_too_far": _l("A request can repeat for at most six months."),
    "notes_too_long": _l("The notes can be at most 1000 characters."),
    "notes_phone": _l(
        "Remove the phone number from the notes: the helper gets the person's phone number after taking the errand."
    ),
    "notes_identity_code": _l("Remove the personal identity code from the notes: it must never be written here."),
    "preferred_unknown": _l("Choose a preferred helper from the list."),
}


class RequestForm(FlaskForm):
    """The one-page phone intake."""

    elder_id = HiddenField()
    requested_by = RadioField(
        _l("Who is asking?"),
        choices=[(k, REQUESTER_LABELS[k]) for k in ("elder", "relative", "other")],
        default="elder",
        validators=[InputRequired(message=_l("Choose who is asking."))],
    )
    requested_by_contact = SelectField(_l("Which contact person called?"), choices=[], validate_choice=False)
    requested_by_name = StringField(_l("Caller's name"), validators=[Optional(), Length(max=120)])
    task_type = RadioField(
        _l("What kind of help?"),
        choices=[],
        validate_choice=False,
        validators=[InputRequired(message=_l("Choose what kind of help is needed."))],
    )
    timing = RadioField(
        _l("When?"),
        choices=[("fixed", _l("On a set day and time")), ("flexible", _l("Flexible within these days"))],
        default="fixed",
    )
    date_from = DateField(_l("Date (first day)"), validators=[InputRequired(message=_l("Give the date."))])
    date_to = DateField(_l("Last day (flexible only)"), validators=[Optional()])
    time_from = TimeField(_l("Start time"), validators=[Optional()])
    time_to = TimeField(_l("End time"), validators=[Optional()])
    duration_minutes = IntegerField(
        _l("Expected duration (minutes)"),
        default=60,
        validators=[
            InputRequired(message=_l("Give the expected duration in minutes.")),
            NumberRange(min=15, max=480, message=_l("The expected duration must be between 15 minutes and 8 hours.")),
        ],
    )
    helpers_needed = SelectField(_l("Helpers needed"), choices=[("1", "1"), ("2", "2"), ("3", "3")], default="1")
    notes_for_helper = TextAreaField(_l("Notes for the helper"), validators=[Optional(), Length(max=1000)])
    preferred_helper = SelectField(_l("Preferred helper"), choices=[], validate_choice=False)
    recurrence = RadioField(_l("Repeats"), choices=list(RECURRENCE_LABELS.items()), default="none")
    recurrence_until = DateField(_l("Repeats until"), validators=[Optional()])
    submit = SubmitField(_l("Save the request"))


class OfferTopForm(FlaskForm):
    count = IntegerField(
        _l("How many helpers"),
        default=3,
        validators=[
            InputRequired(message=_l("Give a number from 1 to 10.")),
            NumberRange(min=1, max=10, message=_l("Give a number from 1 to 10.")),
        ],
    )
    submit = SubmitField(_l("Offer to the top candidates"))


class ActionForm(FlaskForm):
    """A button-only form (CSRF only): offer to the selected, assign, mark handled."""


class CancelForm(FlaskForm):
    by_kind = RadioField(
        _l("Who cancelled?"),
        choices=list(CANCELLED_BY_LABELS.items()),
        default="coordinator",
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[InputRequired(message=_l("Write a short reason.")), Length(max=300)],
    )
    submit = SubmitField(_l("Cancel"))
