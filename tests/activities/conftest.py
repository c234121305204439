from tests.sms.support import twilio_token  # noqa: F401
