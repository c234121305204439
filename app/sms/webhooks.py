"""Twilio's webhooks: ``POST /sms/inbound`` (incoming SMS) and ``POST /sms/status``
(delivery reports).

Both check ``X-Twilio-Signature`` with twilio's RequestValidator against
``PUBLIC_BASE_URL`` plus the path (and query) and every posted field. A bad
or missing signature, or no ``TWILIO_AUTH_TOKEN`` configured, gets 403 and
nothing is written. They are not forms, so CSRF does not apply.
"""

from __future__ import annotations

import logging

from flask import Response, abort, current_app, request
from sqlalchemy.exc import IntegrityError
from twilio.twiml.messaging_response import MessagingResponse

from app.extensions import csrf, db
from app.security import public
from app.sms.blueprint import bp
from app.sms.inbound import receive, stored_reply
from app.sms.signature import SIGNATURE_HEADER, is_valid
from app.sms.status import apply_status_callback

log = logging.getLogger(__name__)


def request_url() -> str:
    """The URL Twilio called, as seen from outside any proxy."""
    url = current_app.config["PUBLIC_BASE_URL"].rstrip("/") + request.path
    if request.query_string:
        url += "?" + request.query_string.decode("utf-8", "replace")
    return url


def require_twilio_signature() -> None:
    token = current_app.config.get("TWILIO_AUTH_TOKEN") or ""
    if not token:
        log.warning("Twilio webhook refused: TWILIO_AUTH_TOKEN is not configured")
        abort(403)
    # Twilio signed the fields as it sent them, before app.inputs cleaned them.
    if not is_valid(token, request_url(), request.form.raw, request.headers.get(SIGNATURE_HEADER)):
        log.warning("Twilio webhook refused: bad or missing signature on %s", request.path)
        abort(403)


def twiml(text: str | None) -> Response:
    response = MessagingResponse()
    if text:
        response.message(text)
    return Response(str(response), mimetype="application/xml")


@bp.route("/inbound", methods=["POST"])
@public
@csrf.exempt
def inbound():
    require_twilio_signature()
    sid = request.form.get("MessageSid") or request.form.get("SmsMessageSid") or ""
    try:
        reply = receive(request.form.raw)  # as Twilio sent it: receive() cleans it its own way
        db.session.commit()
    except IntegrityError:
        # The same MessageSid delivered twice at once: the other request stored it.
        db.session.rollback()
        reply = stored_reply(sid)
    return twiml(reply)


@bp.route("/status", methods=["POST"])
@public
@csrf.exempt
def status_callback():
    require_twilio_signature()
    message_id = request.args.get("m", type=int)
    apply_status_callback(request.form.raw, message_id)
    db.session.commit()
    return Response("", status=204)
