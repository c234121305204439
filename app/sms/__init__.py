"""SMS: the outbox and its log, Twilio webhooks (delivery status, incoming
messages), the coordinators' inbox of replies, sending by hand, and alerts."""

from app.sms import routes, voice_webhooks, webhooks  # noqa: F401  (each page module registers its routes on bp)
from app.sms.blueprint import bp

__all__ = ["bp"]
