"""What an SMS command does to an errand: the same lifecycle the web board calls, with ``via="sms"``.

:mod:`app.sms.inbound` reads the message and calls these handlers, registered
with it by ``create_app``: :func:`helper_command` for a helper's ``KYLLÄ 123``,
``EI 123`` and ``VALMIS 123`` (accept, decline, done), :func:`cancel` for an
older person's or a relative's ``PERU 123``. A handler returns the
:class:`~app.sms.inbound.Outcome` (the answer, how to file the message, whether
to keep the changes), or None when the sender is not someone it acts for.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _

from app.alerts import raise_alert
from app.errands.error_texts import refusal_reply, sms_error
from app.errands.lifecycle import ErrandError, accept_errand, cancel_errand, decline_offer, mark_done
from app.errands.notifications import command_reply
from app.extensions import db
from app.models import Assignment, Errand, Offer
from app.sms.inbound import Outcome
from app.sms.keywords import Command
from app.sms.people import Sender
from app.vocabulary import LIVE_ERRAND_STATES

#: PERU without a code cancels the sender's only errand in this many days.
CANCEL_WITHOUT_CODE_DAYS = 14
#: ErrandError codes with their own SMS answer (the rest get the general "error").
_KNOWN_ERRORS = frozenset({"already_taken", "already_assigned", "too_late", "offer_closed"})


def _active_errand(code: str) -> Errand | None:
    return db.session.scalar(
        sa.select(Errand)
        .where(Errand.short_code == code, Errand.state.in_(LIVE_ERRAND_STATES))
        .order_by(Errand.starts_at.desc())
        .limit(1)
    )


def helper_command(sender: Sender, command: Command, lang: str, now: datetime) -> Outcome | None:
    """Accept, decline or mark done by SMS; None when the number is no helper's."""
    helper = sender.helper
    if helper is None:
        return None
    code = command.code
    if code is None:
        if command.name == "done":
            return Outcome(sms_error("need_code", lang), command.name, handled=False, keep_changes=False)
        pending = list(
            db.session.scalars(
                sa.select(Errand)
                .join(Offer, Offer.errand_id == Errand.id)
                .where(Offer.helper_id == helper.id, Offer.status == "pending", Errand.state.in_(LIVE_ERRAND_STATES))
                .where(Errand.starts_at > now)
            )
        )
        if not pending:
            return Outcome(sms_error("no_offer", lang), command.name)
        if len(pending) > 1:
            what = "need_code" if command.name == "accept" else "need_code_no"
            return Outcome(sms_error(what, lang, code=pending[0].short_code), command.name)
        errand = pending[0]
    else:
        errand = _active_errand(code)
        if errand is None:
            return Outcome(sms_error("unknown_code", lang, code=code), command.name, handled=False)
    if command.name == "done":
        return _done(helper.id, errand, lang)
    try:
        if command.name == "accept":
            accept_errand(errand.id, helper.id, via="sms")
            return Outcome(command_reply("accepted", lang), "accept", errand_id=errand.id)
        decline_offer(errand.id, helper.id, via="sms")
        return Outcome(command_reply("declined", lang), "decline", errand_id=errand.id)
    except ErrandError as err:
        if err.code == "not_eligible":
            reply = refusal_reply(err.details.get("codes", ()), lang)
        else:
            reply = sms_error(err.code if err.code in _KNOWN_ERRORS else "error", lang)
        # As on the web board: what accepting closed (this helper's offer when the errand was
        # taken or closed) is kept; a failed decline changes nothing.
        return Outcome(reply, command.name, errand_id=errand.id, keep_changes=command.name == "accept")


def _done(helper_id: int, errand: Errand, lang: str) -> Outcome:
    assignment = db.session.scalar(
        sa.select(Assignment).where(
            Assignment.errand_id == errand.id, Assignment.helper_id == helper_id, Assignment.status == "active"
        )
    )
    failed = Outcome(sms_error("done_failed", lang), "done", errand_id=errand.id, handled=False, keep_changes=False)
    if assignment is None:
        return failed
    with force_locale(lang):
        report = _("Marked done by text message.")
    try:
        mark_done(assignment.id, helper_id=helper_id, report_text=report, minutes=errand.duration_minutes, via="sms")
    except ErrandError:
        return failed
    return Outcome(command_reply("done", lang), "done", errand_id=errand.id)


def cancel(sender: Sender, command: Command, lang: str, now: datetime) -> Outcome | None:
    """An older person or their contact person cancels by SMS (or key 2 in a call, ``command.channel``);
    None when the number speaks for nobody."""
    elder_ids = sender.elder_ids
    if not elder_ids:
        return None
    if command.code is not None:
        errand = _active_errand(command.code)
        if errand is None or errand.elder_id not in elder_ids:
            return Outcome(sms_error("unknown_code", lang, code=command.code), "cancel", handled=False)
    else:
        upcoming = list(
            db.session.scalars(
                sa.select(Errand).where(
                    Errand.elder_id.in_(elder_ids),
                    Errand.state.in_(LIVE_ERRAND_STATES),
                    Errand.starts_at > now,
                    Errand.starts_at < now + timedelta(days=CANCEL_WITHOUT_CODE_DAYS),
                )
            )
        )
        if len(upcoming) != 1:
            return Outcome(sms_error("need_cancel_code", lang), "cancel", handled=False)
        errand = upcoming[0]
    own = any(e.id == errand.elder_id for e in sender.elders)
    by_call = command.channel == "voice"
    reason = "Peruttu automaattipuhelussa (näppäin 2)" if by_call else "Peruttu tekstiviestillä (SMS)"
    try:
        cancel_errand(errand.id, by_user=None, by_kind="elder" if own else "relative", reason=reason)
    except ErrandError:
        return Outcome(
            sms_error("cancel_failed", lang), "cancel", errand_id=errand.id, handled=False, keep_changes=False
        )
    alert_kind = "call_cancellation" if by_call else "sms_cancellation"
    raise_alert(
        alert_kind,
        dedupe_key=f"{alert_kind}:{errand.id}",
        organization_id=errand.organization_id,
        errand_id=errand.id,
        elder_id=errand.elder_id,
        now=now,
    )
    return Outcome(command_reply("cancelled", lang, code=errand.short_code), "cancel", errand_id=errand.id)
