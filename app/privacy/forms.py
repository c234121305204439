"""The erasure form: a reason and an explicit confirmation."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length

from app.privacy.erasure import REASON_MAX


class EraseForm(FlaskForm):
    reason = TextAreaField(
        _l("Why is the data erased?"),
        validators=[
            DataRequired(message=_l("Write why the data is erased.")),
            Length(max=REASON_MAX, message=_l("At most %(max)d characters.", max=REASON_MAX)),
        ],
        render_kw={"rows": 3, "maxlength": REASON_MAX},
    )
    confirm = BooleanField(
        _l("I understand that the personal data is erased for good and cannot be brought back."),
        validators=[DataRequired(message=_l("Tick the box to confirm the erasure."))],
    )
    submit = SubmitField(_l("Erase personal data"))
