"""Twilio's voice webhooks: ``POST /sms/voice/twiml`` (what the call says),
``POST /sms/voice/gather`` (the key pressed) and ``POST /sms/voice/status``
(the call's progress). Each URL carries our call's id (``?m=<id>``).

All three check ``X-Twilio-Signature`` exactly as the SMS webhooks do
(:func:`app.sms.webhooks.require_twilio_signature`): a bad or missing
signature gets 403 and nothing is written. Not forms, so no CSRF.
"""

from __future__ import annotations

from flask import Response, current_app, request

from app.extensions import csrf, db
from app.models import SmsMessage
from app.security import public
from app.sms.blueprint import bp
from app.sms.voice import (
    apply_call_status,
    call_twiml,
    find_call,
    goodbye_twiml,
    is_machine,
    note_answered,
    question_twiml,
)
from app.sms.voice_answers import handle_key
from app.sms.webhook_input import webhook_fields
from app.sms.webhooks import require_twilio_signature


def _xml(text: str) -> Response:
    return Response(text, mimetype="application/xml")


def gather_url(message_id: int) -> str:
    return f"{current_app.config['PUBLIC_BASE_URL'].rstrip('/')}/sms/voice/gather?m={message_id}"


def _signed_call() -> tuple[dict[str, str], SmsMessage | None]:
    """The signature checked (403 otherwise), the cleaned fields and our call (``?m=<id>``)."""
    require_twilio_signature()
    return webhook_fields(request.form.raw), find_call(request.args.get("m", type=int))


@bp.route("/voice/twiml", methods=["POST"])
@public
@csrf.exempt
def voice_twiml():
    params, message = _signed_call()
    if message is None:
        return _xml(goodbye_twiml("", "fi"))
    note_answered(message, params)
    db.session.commit()
    return _xml(call_twiml(message, gather_url(message.id), machine=is_machine(message.answered_by)))


@bp.route("/voice/gather", methods=["POST"])
@public
@csrf.exempt
def voice_gather():
    params, message = _signed_call()
    if message is None:
        return _xml(goodbye_twiml("", "fi"))
    outcome = handle_key(message, params.get("Digits") or "")
    db.session.commit()
    if outcome.ask_again:
        return _xml(question_twiml(message, gather_url(message.id), outcome.spoken))
    return _xml(goodbye_twiml(outcome.spoken, message.language))


@bp.route("/voice/status", methods=["POST"])
@public
@csrf.exempt
def voice_status():
    require_twilio_signature()
    apply_call_status(webhook_fields(request.form.raw), request.args.get("m", type=int))
    db.session.commit()
    return Response("", status=204)
