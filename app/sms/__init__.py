"""SMS: the outbox and its log, Twilio webhooks (delivery status, incoming
messages), the coordinators' inbox of replies, sending by hand, and alerts."""

from flask import Blueprint
from flask_babel import lazy_gettext as _l

from app.ui import nav

bp = Blueprint("sms", __name__, url_prefix="/sms")

nav.add("coordinator", "sms.log", _l("SMS"), order=40)

from app.sms import routes, webhooks  # noqa: E402,F401
