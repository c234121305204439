"""Every automatic answer fits in one SMS, in Finnish and in Swedish."""

from __future__ import annotations

import pytest

from app.sms.texts import REFUSAL_REPLIES, reply_text
from tests.fakes.twilio_server import segment_count

SITUATIONS = [
    "accepted", "declined", "already_taken", "already_assigned", "not_eligible", "too_late", "offer_closed",
    "error", "unknown_code", "no_offer", "need_code", "need_code_no", "done", "done_failed", "cancelled",
    "cancel_failed", "need_cancel_code", "feedback", "stopped", "started", "help", "received",
    *(f"refused_{code}" for code in REFUSAL_REPLIES),
]  # fmt: skip


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_answers_are_one_sms_in_the_right_language(app, db, language):
    texts = [reply_text(what, language, code="12345") for what in SITUATIONS]
    for text in texts:
        assert segment_count(text) == 1, text
    help_text = reply_text("help", language)
    assert ("PERU" in help_text and "LOPETA" in help_text) if language == "fi" else ("AVBOKA" in help_text)
    assert reply_text("stopped", language) != reply_text("stopped", "sv" if language == "fi" else "fi")


def test_unknown_language_falls_back_to_finnish(app, db):
    assert reply_text("feedback", "en") == reply_text("feedback", "fi") == "Kiitos palautteesta!"
