"""The week plan's SMS: one text per helper listing the errands offered to them.

They take each one with the usual ``KYLLÄ <code>`` or all of them with
``KAIKKI`` (the words of :mod:`app.sms.keywords`).
"""

from __future__ import annotations

from flask_babel import force_locale
from flask_babel import gettext as _

from app.errands.notifications import board_link, place_name, when
from app.models import Errand, HelperProfile
from app.sms.keywords import reply_word
from app.sms.kinds import KINDS
from app.sms.outbox import queue_sms
from app.sms.people import helper_language
from app.sms.segments import segment_count

#: At most this many errands are listed; the rest are on the board.
LISTED = 4


def week_offer_text(helper: HelperProfile, errands: list[Errand], lang: str | None = None) -> str:
    lang = lang or helper_language(helper)
    errands = sorted(errands, key=lambda e: e.starts_at)
    with force_locale(lang):
        items = [
            _(
                "%(day)s %(start)s %(task)s, %(place)s (%(code)s)",
                task=e.task_type.name(lang),
                place=place_name(e.elder, lang),
                code=e.short_code,
                **when(e.starts_at),
            )
            for e in errands[:LISTED]
        ]
        more = len(errands) - LISTED
        listed = "; ".join(items)
        if more > 0:
            listed += "; " + _("%(num)s more on your board", num=more)
        text = _(
            "Hello %(name)s! Errands for you next week: %(list)s. "
            "Reply %(yes)s and the code for each one you take, or %(all)s to take them all.",
            name=helper.first_name,
            list=listed,
            yes=reply_word("accept", lang),
            all=reply_word("accept_all", lang),
        )
    longer = f"{text} {board_link()}"
    return longer if segment_count(longer) <= (KINDS["week_offer"].segments or 1) else text


def queue_week_offer(helper: HelperProfile, errands: list[Errand], *, sent_by_id: int | None, plan_id: int) -> None:
    if helper.sms_opt_out or not helper.phone or not errands:
        return
    queue_sms(
        helper.phone,
        week_offer_text(helper, errands),
        kind="week_offer",
        language=helper_language(helper),
        dedupe_key=f"week_offer:{plan_id}:{helper.id}:{','.join(str(e.id) for e in errands)}",
        helper_id=helper.id,
        organization_id=errands[0].organization_id,
        sent_by_id=sent_by_id,
    )
