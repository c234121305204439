from tests.sms.support import fake_twilio, twilio_token  # noqa: F401
