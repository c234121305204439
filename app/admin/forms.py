"""Administration forms: organizations, coordinator accounts, task types."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    EmailField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TelField,
)
from wtforms.validators import DataRequired, Email, Length, NumberRange, Optional, Regexp, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from app.auth.passwords import NotCommonPassword
from app.elders.forms import PHONE_MESSAGES, options
from app.phones import Phone, PhoneError, parse_phone

#: The kinds of partner in the multi-producer network (CONCEPT.md), in words.
ORGANIZATION_KIND_LABELS = {
    "4h": _l("4H club"),
    "parish": _l("Parish"),
    "home_care": _l("Home care"),
    "youth_council": _l("Youth council"),
    "friend_service": _l("Friend service"),
    "pensioners": _l("Pensioners' association"),
    "elderly_council": _l("Council for the elderly"),
    "rehabilitative_work": _l("Rehabilitative work activity"),
    "association": _l("Association"),
    "municipality": _l("Municipality"),
}

ADMIN_ERRORS = {
    "name_taken": _l("An organization with this name already exists."),
    "email_taken": _l("An account with this email address already exists."),
    "code_taken": _l("A task type with this code already exists."),
    "unknown_kind": _l("Choose a kind from the list."),
    "unknown_municipality": _l("Choose municipalities from the list."),
    "unknown_organization": _l("Choose organizations from the list."),
    "not_a_coordinator": _l("Only coordinator accounts are managed here."),
    "own_account": _l("You cannot deactivate your own account."),
    "already_partners": _l("These organizations are already partners."),
}


class CheckboxesField(SelectMultipleField):
    """A multiple choice shown as a list of checkboxes (works on a phone, unlike a multi-select)."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PhoneField(TelField):
    """An optional phone number, mobile or landline; ``parsed`` holds it after validation."""

    parsed: Phone | None = None

    def pre_validate(self, form) -> None:
        self.parsed = None
        if self.data and self.data.strip():
            try:
                self.parsed = parse_phone(self.data)
            except PhoneError as exc:
                raise ValidationError(str(PHONE_MESSAGES.get(exc.code, PHONE_MESSAGES["invalid"]))) from exc


class OrganizationForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Write the name of the organization.")), Length(max=160)],
        render_kw={"autofocus": True},
    )
    kind = SelectField(_l("Kind"), choices=options(ORGANIZATION_KIND_LABELS.items()))
    municipalities = CheckboxesField(
        _l("Municipalities it covers"),
        choices=[],
        validators=[DataRequired(message=_l("Choose at least one municipality."))],
    )
    phone = PhoneField(_l("Phone number"), validators=[Optional(), Length(max=30)])
    email = EmailField(_l("Email"), validators=[Optional(), Email(), Length(max=254)])
    is_active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))


class CoordinatorForm(FlaskForm):
    name = StringField(
        _l("Name"),
        validators=[DataRequired(message=_l("Write the coordinator's name.")), Length(max=120)],
        render_kw={"autofocus": True, "autocomplete": "off"},
    )
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(message=_l("Write the email address.")), Email(), Length(max=254)],
        render_kw={"autocomplete": "off"},
    )
    phone = PhoneField(_l("Phone number"), validators=[Optional(), Length(max=30)])
    organizations = CheckboxesField(
        _l("Organizations"),
        choices=[],
        validators=[DataRequired(message=_l("Choose at least one organization."))],
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            Optional(),
            Length(min=10, max=200, message=_l("Use at least 10 characters.")),
            NotCommonPassword(),
        ],
        render_kw={"autocomplete": "new-password"},
    )
    submit = SubmitField(_l("Save"))


class PartnershipForm(FlaskForm):
    """Add a partner organization (the choices are the other active organizations)."""

    partner = SelectField(_l("Partner organization"), validators=[DataRequired()])
    submit = SubmitField(_l("Add partnership"))


class RemovePartnerForm(FlaskForm):
    """The button that ends a partnership (CSRF only)."""


class ActiveForm(FlaskForm):
    """A button that turns something on or off (the value comes from the button pressed)."""

    active = SelectField(choices=options([("1", "1"), ("0", "0")]))


class TaskTypeForm(FlaskForm):
    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(message=_l("Write a short code.")),
            Regexp(
                r"^[a-z][a-z0-9_]{1,31}$",
                message=_l("Use 2–32 small letters a–z, digits or underscores, starting with a letter."),
            ),
        ],
        render_kw={"autocomplete": "off", "autocapitalize": "none"},
    )
    name_fi = StringField(
        _l("Name in Finnish"), validators=[DataRequired(message=_l("Write the name.")), Length(max=80)]
    )
    name_sv = StringField(
        _l("Name in Swedish"), validators=[DataRequired(message=_l("Write the name.")), Length(max=80)]
    )
    name_en = StringField(
        _l("Name in English"), validators=[DataRequired(message=_l("Write the name.")), Length(max=80)]
    )
    sort_order = IntegerField(
        _l("Position in lists"),
        validators=[Optional(), NumberRange(0, 10000)],
        render_kw={"inputmode": "numeric"},
    )
    submit = SubmitField(_l("Add the task type"))
