"""Forms: logging an encounter, feedback, stage overrides and check-ins."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import InputRequired, Length, NumberRange, Optional, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.encounters import labels, wellbeing
from app.encounters.operations import MAX_DURATION_MINUTES
from app.inputs import WithinCalendar


class MultiCheckboxField(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


def choices(pairs) -> list[SelectChoice]:
    """Form choices from (value, label) pairs or a {value: label} mapping."""
    items = pairs.items() if isinstance(pairs, dict) else pairs
    return [SelectChoice(value, label) for value, label in items]


SCORE_CHOICES = choices(
    [
        (1, _l("1 – poor")),
        (2, _l("2")),
        (3, _l("3 – all right")),
        (4, _l("4")),
        (5, _l("5 – very good")),
    ]
)


class EncounterForm(FlaskForm):
    organization_id = SelectField(_l("Organization"), coerce=int)
    helper_ids = MultiCheckboxField(_l("Young helpers"), coerce=int)
    elder_ids = MultiCheckboxField(_l("Older residents"), coerce=int)
    kind = RadioField(
        _l("What kind of encounter"),
        choices=choices(labels.KIND_LABELS),
        validators=[InputRequired(message=_l("Please choose what kind of encounter it was."))],
    )
    place_kind = RadioField(
        _l("Where"),
        choices=choices(labels.PLACE_LABELS),
        default="home",
        validators=[InputRequired(message=_l("Please choose where it took place."))],
    )
    place_name = StringField(_l("Name of the place"), validators=[Length(max=120)])
    area = SelectField(_l("Village or municipality"), validators=[Optional()])
    date = DateField(_l("Date"), validators=[InputRequired(message=_l("Please give the date."))])
    time = TimeField(_l("Start time"), validators=[InputRequired(message=_l("Please give the start time."))])
    duration_minutes = IntegerField(
        _l("Duration in minutes"),
        default=60,
        validators=[
            InputRequired(message=_l("Please give the duration in minutes.")),
            NumberRange(min=5, max=MAX_DURATION_MINUTES, message=_l("Between 5 and 720 minutes, please.")),
        ],
    )
    initiated_by = RadioField(
        _l("Who started it"),
        choices=choices(labels.INITIATOR_LABELS),
        validators=[InputRequired(message=_l("Please choose who started it."))],
    )
    led_by = RadioField(
        _l("Who led it"),
        choices=choices(labels.LEADER_LABELS),
        validators=[InputRequired(message=_l("Please choose who led it."))],
    )
    organised_by_participant = BooleanField(_l("A participant organised it for others"))
    title = StringField(_l("Title"), validators=[Optional(), Length(max=160)])
    notes = TextAreaField(_l("Notes"), validators=[Optional(), Length(max=4000)])
    own_score = RadioField(_l("How did it go for you?"), choices=SCORE_CHOICES, coerce=int, validators=[Optional()])
    own_comment = TextAreaField(_l("Your comment"), validators=[Optional(), Length(max=2000)])

    def validate_place_name(self, field) -> None:
        if self.place_kind.data == "shared_space" and not (field.data or "").strip():
            raise ValidationError(_l("Please name the shared space, for example the library or the parish hall."))


class FeedbackForm(FlaskForm):
    score = RadioField(
        _l("Score"),
        choices=SCORE_CHOICES,
        coerce=int,
        validators=[InputRequired(message=_l("Please choose a score from 1 to 5."))],
    )
    comment = TextAreaField(_l("Comment"), validators=[Optional(), Length(max=2000)])


class OverrideForm(FlaskForm):
    stage = SelectField(
        _l("Stage"),
        coerce=int,
        choices=choices([(n, labels.STAGE_LABELS[n]) for n in (0, 1, 2, 3)]),
        validators=[InputRequired()],
    )
    reason = TextAreaField(
        _l("Reason"),
        validators=[
            InputRequired(message=_l("Please write why you set the stage by hand.")),
            Length(max=2000),
        ],
    )


class EmptyForm(FlaskForm):
    """Only the CSRF token, for buttons."""


class EncounterFilterForm(FlaskForm):
    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), choices=choices([("", _l("All kinds")), *labels.KIND_LABELS.items()]), default="")
    municipality = SelectField(_l("Municipality"), validators=[Optional()], default="")
    source = SelectField(
        _l("Source"),
        choices=choices([("", _l("All")), ("errand", _l("From errands")), ("logged", _l("Logged by hand"))]),
        default="",
    )
    date_from = DateField(lazy_pgettext("date range", "From"), validators=[Optional(), WithinCalendar()])
    date_to = DateField(lazy_pgettext("date range", "To"), validators=[Optional(), WithinCalendar()])


def checkin_form_class(kind: str, *, with_date: bool) -> type[FlaskForm]:
    """A form with one radio group per check-in question of ``kind``."""

    class CheckinForm(FlaskForm):
        pass

    for item in wellbeing.ITEMS[kind]:
        field = RadioField(
            labels.QUESTION_LABELS[item.code],
            choices=choices([(o.value, labels.option_label(o.label)) for o in item.options]),
            coerce=int,
            validators=[InputRequired(message=labels.CHECKIN_ERRORS[wellbeing.ERROR_MISSING])],
        )
        setattr(CheckinForm, item.code, field)
    if with_date:
        CheckinForm.taken_on = DateField(  # type: ignore[attr-defined]
            _l("Date asked"),
            validators=[InputRequired(message=_l("Please give the date."))],
        )
    return CheckinForm
