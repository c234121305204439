"""Forms of the call log: the quick call form, a callback on its own, the callback
buttons, and the filters above the list."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, RadioField, SelectField, StringField, TelField, TimeField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from app.calls import labels
from app.phones import PHONE_MESSAGES

PROBLEM_MESSAGES = {
    "choose": _l("Choose one."),
    "callback_time": _l("Give the time to call back."),
    "unknown_person": _l("This person is not on your organization's records. Reload the page."),
    "choose_organization": _l("Choose the organization."),
    "callback_who": _l("Give the name and number of the person to call back."),
    "closed": _l("This callback is already closed."),
    **PHONE_MESSAGES,
}

NOTE_HINT = _l("A few words. No health information.")


class _Subject(FlaskForm):
    elder_id = HiddenField()
    helper_id = HiddenField()
    errand_id = HiddenField()
    organization_id = SelectField(_l("Organization"), validate_choice=False, default="")


class CallForm(_Subject):
    caller_kind = RadioField(_l("Who called"), choices=list(labels.CALLER_KINDS.items()), default="elder")
    phone = TelField(_l("Phone number"), validators=[Optional(), Length(max=30)])
    topic = RadioField(_l("What about"), choices=list(labels.TOPICS.items()), default="question")
    outcome = RadioField(_l("Outcome"), choices=list(labels.OUTCOMES.items()), default="handled")
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])
    callback_day = DateField(_l("Call back on"), validators=[Optional()])
    callback_time = TimeField(_l("Call back at"), validators=[Optional()])


class CallbackForm(_Subject):
    name = StringField(_l("Name"), validators=[Optional(), Length(max=120)])
    phone = TelField(_l("Phone number"), validators=[Optional(), Length(max=30)])
    due_day = DateField(_l("Call back on"), validators=[Optional()])
    due_time = TimeField(_l("Call back at"), validators=[Optional()])
    note = StringField(_l("What about"), validators=[Optional(), Length(max=300)])


class CallbackActionForm(FlaskForm):
    """Done / not reached / try again at a new time."""

    action = HiddenField()
    due_day = DateField(_l("New day"), validators=[Optional()])
    due_time = TimeField(_l("New time"), validators=[Optional()])


def _all(codes: dict) -> list[SelectChoice]:
    return [SelectChoice("", _l("All")), *(SelectChoice(code, label) for code, label in codes.items())]


class CallFilterForm(FlaskForm):
    """The filters above the call log (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    day = DateField(_l("Day"), validators=[Optional()])
    caller_kind = SelectField(_l("Who called"), choices=_all(labels.CALLER_KINDS), default="", validate_choice=False)
    outcome = SelectField(_l("Outcome"), choices=_all(labels.OUTCOMES), default="", validate_choice=False)
