"""Forms of the activities pages."""

from __future__ import annotations

from flask import flash
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from app.activities import labels
from app.activities.errors import ActivityError
from app.encounters.forms import MultiCheckboxField, choices
from app.inputs import WithinCalendar


class ActivityForm(FlaskForm):
    title = StringField(_l("Name of the activity"), validators=[InputRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=choices(labels.ACTIVITY_KIND_LABELS), default="shared_activity")
    organization_id = SelectField(_l("Organization"), choices=[])
    place_id = SelectField(_l("Place"), choices=[])
    day = DateField(_l("Day"), validators=[InputRequired(), WithinCalendar()])
    start = TimeField(_l("Starts at"), validators=[InputRequired()])
    end = TimeField(_l("Ends at"), validators=[InputRequired()])
    recurrence = SelectField(_l("Repeats"), choices=choices(labels.RECURRENCE_LABELS), default="none")
    recurrence_until = DateField(_l("Last day of the repetition"), validators=[Optional(), WithinCalendar()])
    capacity_young = IntegerField(_l("Places for young helpers"), default=4, validators=[NumberRange(0, 200)])
    capacity_old = IntegerField(_l("Places for older residents"), default=10, validators=[NumberRange(0, 200)])
    minimum = IntegerField(_l("Minimum number of people"), default=3, validators=[NumberRange(0, 400)])
    run_by = SelectField(_l("Who runs it"), choices=choices(labels.RUN_BY_LABELS), default="coordinator")
    runner_helper_id = SelectField(_l("Young helper who runs it (takes attendance)"), choices=[], default="")
    organised_by_participants = BooleanField(_l("Organised by the participants for others"))
    description_fi = TextAreaField(_l("Description in Finnish"), validators=[Length(max=2000)])
    description_sv = TextAreaField(_l("Description in Swedish"), validators=[Length(max=2000)])
    idea_of_elder_id = SelectField(_l("An older resident's idea (taken on the phone)"), choices=[], default="")
    whole_series = BooleanField(_l("Change this and the later repetitions too"))


class ProposalForm(FlaskForm):
    title = StringField(_l("Name of the activity"), validators=[InputRequired(), Length(max=120)])
    kind = SelectField(_l("Kind"), choices=choices(labels.ACTIVITY_KIND_LABELS), default="shared_activity")
    place_id = SelectField(_l("Place"), choices=[])
    day = DateField(_l("Day"), validators=[InputRequired(), WithinCalendar()])
    start = TimeField(_l("Starts at"), validators=[InputRequired()])
    end = TimeField(_l("Ends at"), validators=[InputRequired()])
    capacity_young = IntegerField(_l("Places for young helpers"), default=3, validators=[NumberRange(0, 50)])
    capacity_old = IntegerField(_l("Places for older residents"), default=8, validators=[NumberRange(0, 50)])
    description_fi = TextAreaField(_l("Description in Finnish"), validators=[Length(max=2000)])
    description_sv = TextAreaField(_l("Description in Swedish"), validators=[Length(max=2000)])


class PlaceForm(FlaskForm):
    name = StringField(_l("Name of the place"), validators=[InputRequired(), Length(max=120)])
    kind = SelectField(_l("Kind of place"), choices=choices(labels.PLACE_KIND_LABELS), default="library")
    municipality_id = SelectField(_l("Municipality"), choices=[])
    address = StringField(_l("Address"), validators=[Length(max=200)])
    step_free = BooleanField(_l("Step-free access"))


class AddPersonForm(FlaskForm):
    person = SelectField(_l("Person who phoned in"), choices=[])


class ActionForm(FlaskForm):
    """A button that changes something (CSRF only)."""


class InviteForm(FlaskForm):
    people = MultiCheckboxField(_l("Invite"), choices=[])


class AttendanceForm(FlaskForm):
    came = MultiCheckboxField(_l("Came"), choices=[])


def form_error(form: FlaskForm, err: ActivityError) -> None:
    """The rule's message on its field (or as a notice); what the user typed stays in the form."""
    target = getattr(form, err.field, None) if err.field else None
    message = labels.error_text(err.code)
    if target is not None:
        target.errors = [*target.errors, message]
    else:
        flash(message, "error")
