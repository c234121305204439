"""Twilio's webhook fields, made safe to store: the one normaliser both
webhooks (and :func:`~app.sms.inbound.receive`, :func:`~app.sms.status.apply_status_callback`)
read their input through.

Every signed inbound SMS must be stored and answered, whatever it holds, so
nothing here refuses: control characters are removed (PostgreSQL refuses NUL;
:func:`app.inputs.clean_text` owns that rule) and each field is cut to the
column it is stored in. The text keeps all of Twilio's 1,600 characters (a
``Text`` column). The signature is checked before, on the fields as Twilio sent them.
"""

from __future__ import annotations

from collections.abc import Mapping

from app.inputs import clean_text
from app.models import SmsMessage

_columns = SmsMessage.__table__.c
#: Twilio's longest message text (its own limit; the body column is Text).
MAX_BODY = 1600
SID_FIELDS = ("MessageSid", "SmsMessageSid", "SmsSid")

#: field -> how many characters are kept (the column it ends up in).
LIMITS: dict[str, int] = {
    **{name: _columns.provider_sid.type.length for name in SID_FIELDS},
    "From": _columns.from_phone.type.length,
    "To": _columns.to_phone.type.length,
    "Body": MAX_BODY,
    "MessageStatus": _columns.status.type.length,
    "SmsStatus": _columns.status.type.length,
    "ErrorCode": _columns.last_error_code.type.length,
    "ErrorMessage": _columns.last_error.type.length,
}
#: Any other field Twilio sends (AccountSid, FromCity, ...): not stored, but bounded.
OTHER_LIMIT = 300


def webhook_fields(params: Mapping[str, str]) -> dict[str, str]:
    """The fields of a Twilio webhook, cleaned and each cut to its column (first value of each)."""
    fields = {}
    for name in params:
        value = params.get(name)
        if not isinstance(value, str):
            continue
        key = clean_text(name)
        fields[key] = clean_text(value)[: LIMITS.get(key, OTHER_LIMIT)]
    return fields
