"""SMS: the outbox and its log, Twilio webhooks (delivery status, incoming
messages), the coordinators' inbox of replies, sending by hand, and alerts."""

from flask import Blueprint
from flask_babel import lazy_pgettext

from app.ui import blocks, nav

bp = Blueprint("sms", __name__, url_prefix="/sms")

nav.add("coordinator", "sms.log", lazy_pgettext("menu", "SMS"), order=40)
blocks.add("coordinator_home", "sms/_home_block.html", order=5)

from app.sms import routes, webhooks  # noqa: E402,F401
