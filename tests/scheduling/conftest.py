from tests.sms.support import build, fake_twilio, twilio_token  # noqa: F401
