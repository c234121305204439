"""An older resident's consent: the one rule that help is arranged only with it.

No request and no errand is created for a person without a recorded consent
(``Elder.consent_given`` with the time it was recorded, ``Elder.consent_at``).
Every path that creates one asks :func:`has_consent` (for one person) or
filters with :func:`consent_recorded` (in a query); nothing else repeats it.
"""

from __future__ import annotations

import sqlalchemy as sa

from app.models import Elder

#: The rule code that forms and services turn into a message.
NO_CONSENT = "elder_no_consent"


def has_consent(elder: Elder) -> bool:
    """True when the person's consent is recorded (given, with its time)."""
    return bool(elder.consent_given) and elder.consent_at is not None


def consent_recorded() -> sa.ColumnElement[bool]:
    """:func:`has_consent` as a query condition on :class:`~app.models.Elder`."""
    return sa.and_(Elder.consent_given.is_(True), Elder.consent_at.is_not(None))
