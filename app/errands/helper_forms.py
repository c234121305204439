"""Forms of the helper's errand pages."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, SubmitField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from app.errands.lifecycle import MAX_REPORT_MINUTES

#: Largest receipt a helper can report, in euros.
MAX_RECEIPT_EUROS = Decimal("1000")
_EUROS_RE = re.compile(r"^\d{1,7}(?:[.,]\d{1,2})?$")


def parse_euros(raw: str | None) -> int | None:
    """'12,50', '12.50', '12', '12,5 €' -> cents; '' -> None. Raises ValueError on anything else."""
    text = (raw or "").strip().replace("€", "").replace("\u00a0", "").replace(" ", "")
    text = text.removesuffix("e").removesuffix("EUR").removesuffix("eur")
    if not text:
        return None
    if not _EUROS_RE.match(text):
        raise ValueError(raw)
    try:
        value = Decimal(text.replace(",", "."))
    except InvalidOperation as exc:  # pragma: no cover - the pattern rules this out
        raise ValueError(raw) from exc
    return int((value * 100).to_integral_value())


class ActionForm(FlaskForm):
    """A button that only needs the CSRF token (accept, decline, new calendar link)."""

    submit = SubmitField()


class WithdrawForm(FlaskForm):
    reason = TextAreaField(
        _l("Why can you not go?"),
        validators=[
            DataRequired(message=_l("Tell the coordinator briefly why, so they can find someone else.")),
            Length(max=300, message=_l("Keep it under %(max)d characters.")),
        ],
    )
    submit = SubmitField(_l("Withdraw from this errand"))


class ReportForm(FlaskForm):
    report_text = TextAreaField(
        _l("What did you do?"),
        validators=[
            DataRequired(message=_l("Write a few words about what you did.")),
            Length(max=2000, message=_l("Keep it under %(max)d characters.")),
        ],
    )
    minutes = StringField(
        _l("How long did it take (minutes)?"),
        validators=[DataRequired(message=_l("Give the time in minutes, for example 45.")), Length(max=10)],
        render_kw={"inputmode": "numeric", "autocomplete": "off"},
    )
    receipt = StringField(
        _l("Receipt amount in euros, if you handled money"),
        validators=[Optional(), Length(max=20)],
    )
    note_for_coordinator = TextAreaField(
        _l("Anything the coordinator should know?"),
        validators=[Optional(), Length(max=2000, message=_l("Keep it under %(max)d characters."))],
    )
    submit = SubmitField(_l("Mark as done"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.minutes_value: int | None = None
        self.receipt_cents: int | None = None

    def validate_minutes(self, field) -> None:
        text = (field.data or "").strip().removesuffix("min").strip()
        if not text.isdigit() or not 0 < int(text) <= MAX_REPORT_MINUTES:
            raise ValidationError(_l("Give the time in minutes, for example 45."))
        self.minutes_value = int(text)

    def validate_receipt(self, field) -> None:
        try:
            cents = parse_euros(field.data)
        except ValueError:
            raise ValidationError(_l("Write the amount in euros, for example 12,50.")) from None
        if cents is not None and cents > MAX_RECEIPT_EUROS * 100:
            raise ValidationError(_l("Check the amount: it is over %(max)s euros.", max=MAX_RECEIPT_EUROS))
        self.receipt_cents = cents
