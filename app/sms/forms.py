"""Forms of the SMS pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField, TextAreaField
from wtforms.validators import Length, Optional


class LogFilterForm(FlaskForm):
    """The filters above the SMS log (a GET form: no CSRF token needed)."""

    class Meta:
        csrf = False

    direction = SelectField(
        _l("Direction"), choices=[("", _l("All")), ("out", _l("Sent by us")), ("in", _l("Received"))], default=""
    )
    status = SelectField(_l("Status"), default="")
    kind = SelectField(_l("Type"), default="")
    phone = StringField(_l("Phone number"), validators=[Optional(), Length(max=30)])


class SendForm(FlaskForm):
    recipient = SelectField(_l("Recipient"), validate_choice=False, default="")
    phone = StringField(_l("Or type a phone number"), validators=[Optional(), Length(max=30)])
    organization = SelectField(_l("Sent on behalf of"), validate_choice=False)
    body = TextAreaField(_l("Message"), render_kw={"rows": 5})


class CallForm(FlaskForm):
    """An automated call placed by hand: who, and what the call says."""

    elder = SelectField(_l("Older resident"), validate_choice=False, default="")
    body = TextAreaField(_l("What the call says"), render_kw={"rows": 5})


class ActionForm(FlaskForm):
    """A button that changes something: only the CSRF token."""
