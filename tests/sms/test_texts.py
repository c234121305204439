"""Every automatic answer fits in one SMS, in Finnish and in Swedish."""

from __future__ import annotations

import pytest

from app.errands.error_texts import REFUSAL_REPLIES, SMS_ERRORS, refusal_reply, sms_error
from app.errands.notifications import command_reply
from app.sms.segments import segment_count
from app.sms.texts import sms_reply

DONE = ["accepted", "declined", "done", "cancelled", "feedback"]
ABOUT_SMS = ["stopped", "started", "help", "received"]


@pytest.mark.parametrize("language", ["fi", "sv"])
def test_answers_are_one_sms_in_the_right_language(app, db, language):
    texts = [command_reply(what, language, code="12345") for what in DONE]
    texts += [sms_error(what, language, code="12345") for what in SMS_ERRORS]
    texts += [refusal_reply([code], language) for code in REFUSAL_REPLIES]
    texts += [sms_reply(what, language) for what in ABOUT_SMS]
    for text in texts:
        assert segment_count(text) == 1, text
    help_text = sms_reply("help", language)
    assert ("PERU" in help_text and "LOPETA" in help_text) if language == "fi" else ("AVBOKA" in help_text)
    assert sms_reply("stopped", language) != sms_reply("stopped", "sv" if language == "fi" else "fi")


def test_the_words_to_reply_are_the_ones_the_parser_reads(app, db):
    assert "BÖRJA" in sms_reply("stopped", "sv") and "ALOITA" in sms_reply("stopped", "fi")
    assert "12345" in sms_error("unknown_code", "sv", code="12345")
    assert "JA 777" in sms_error("need_code", "sv", code="777") and "EI 777" in sms_error("need_code_no", "fi", "777")


def test_unknown_language_falls_back_to_finnish(app, db):
    assert command_reply("feedback", "en") == command_reply("feedback", "fi") == "Kiitos palautteesta!"


@pytest.mark.parametrize(
    ("language", "ending"),
    [("fi", "Hätätilanteessa soita 112."), ("sv", "Vid nödfall ring 112.")],
)
def test_the_help_answer_gives_the_emergency_number_in_one_sms(app, db, language, ending):
    """Someone who texts for help may be in real trouble: the answer names 112 (GLOSSARY #61)."""
    text = sms_reply("help", language)
    assert text.endswith(ending) and segment_count(text) == 1
