"""``KAIKKI`` (``ALLA``, ``ALL``): a helper takes every errand the week plan offered them.

Each one through the same :func:`app.errands.lifecycle.accept_errand` as
``KYLLÄ <code>`` (the errand row locked, first come first served); the errands
someone else was quicker to take are counted in the answer.
"""

from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import force_locale, ngettext

from app.errands.error_texts import sms_error
from app.errands.lifecycle import ErrandError, accept_errand
from app.extensions import db
from app.models import Errand, Offer, WeekPlanLine
from app.sms.inbound import Outcome
from app.sms.keywords import Command
from app.sms.people import Sender
from app.sms.texts import sms_language
from app.vocabulary import LIVE_ERRAND_STATES


def accept_all(sender: Sender, command: Command, lang: str, now: datetime) -> Outcome | None:
    """Accept the helper's pending week-plan offers; None when the number is no helper's."""
    helper = sender.helper
    if helper is None:
        return None
    errand_ids = list(
        db.session.scalars(
            sa.select(Errand.id)
            .join(Offer, Offer.errand_id == Errand.id)
            .join(WeekPlanLine, sa.and_(WeekPlanLine.errand_id == Errand.id, WeekPlanLine.helper_id == helper.id))
            .where(
                Offer.helper_id == helper.id,
                Offer.status == "pending",
                WeekPlanLine.offered_at.is_not(None),
                Errand.state.in_(LIVE_ERRAND_STATES),
                Errand.starts_at > now,
            )
            .distinct()
            .order_by(Errand.id)
        )
    )
    if not errand_ids:
        return Outcome(sms_error("no_offer", lang), "accept_all")
    taken = 0
    for errand_id in errand_ids:
        try:
            accept_errand(errand_id, helper.id, via="sms")
            taken += 1
        except ErrandError:
            continue
    return Outcome(accept_all_reply(taken, len(errand_ids) - taken, lang), "accept_all")


def accept_all_reply(taken: int, missed: int, language: str) -> str:
    with force_locale(sms_language(language)):
        text = ngettext(
            "Thank you! %(num)s errand is yours. You will get the details in a moment.",
            "Thank you! %(num)s errands are yours. You will get the details in a moment.",
            taken,
        )
        if missed:
            text += " " + ngettext(
                "%(num)s had already been taken or could not be given to you.",
                "%(num)s had already been taken or could not be given to you.",
                missed,
            )
    return text
