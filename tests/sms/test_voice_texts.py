"""Times and days as people say them, and a call's script (issue 16)."""

from __future__ import annotations

import pytest

from app.i18n import spoken_day, spoken_time, spoken_when
from app.sms.voice_texts import Script, sentences
from tests.factories import helsinki

MONDAY_NOON = helsinki(2030, 1, 14, 12)


@pytest.mark.parametrize(
    ("hour", "minute", "fi", "sv", "en"),
    [
        (10, 0, "kello kymmenen", "klockan tio", "at ten o'clock"),
        (10, 30, "kello puoli yksitoista", "klockan halv elva", "at half past ten"),
        (9, 15, "varttia yli yhdeksän", "kvart över nio", "at quarter past nine"),
        (
            13,
            45,
            "varttia vaille kaksi iltapäivällä",
            "kvart i två på eftermiddagen",
            "at quarter to two in the afternoon",
        ),
        (12, 30, "kello puoli yksi iltapäivällä", "klockan halv ett på eftermiddagen", "at half past twelve"),
        (18, 0, "kello kuusi illalla", "klockan sex på kvällen", "at six o'clock in the evening"),
        (9, 20, "kello yhdeksän kaksikymmentä", "klockan nio tjugo", "at nine twenty"),
    ],
)
def test_times_are_said_as_people_say_them(app, hour, minute, fi, sv, en):
    at = helsinki(2030, 1, 15, hour, minute)
    assert (spoken_time(at, "fi"), spoken_time(at, "sv"), spoken_time(at, "en")) == (fi, sv, en)


def test_days_are_said_relative_to_today_and_far_days_with_their_date(app):
    assert spoken_when(helsinki(2030, 1, 15, 10), "fi", MONDAY_NOON) == "huomenna kello kymmenen"
    assert spoken_when(helsinki(2030, 1, 17, 10), "sv", MONDAY_NOON) == "på torsdag klockan tio"
    assert spoken_when(helsinki(2030, 1, 15, 10), "fi", helsinki(2030, 1, 10, 9)) == "tiistaina kello kymmenen"
    assert spoken_day(helsinki(2030, 1, 12, 10), "sv", MONDAY_NOON) == "i lördags"
    assert spoken_day(helsinki(2030, 1, 13, 10), "fi", MONDAY_NOON) == "eilen"
    assert spoken_day(helsinki(2030, 1, 14, 18), "en", MONDAY_NOON) == "today"
    far = helsinki(2030, 1, 29, 10)
    assert spoken_day(far, "fi", MONDAY_NOON) == "tiistaina kahdeskymmenesyhdeksäs tammikuuta"
    assert spoken_day(far, "sv", MONDAY_NOON) == "på tisdag den tjugonionde januari"


def test_a_script_keeps_its_question_apart_and_is_said_in_short_sentences():
    script = Script("Hei. Eetu tulee huomenna kello kymmenen.", "Jos tämä sopii, paina 1. Jos ei, paina 2.")
    assert Script.from_body(script.body) == script
    assert Script.from_body("Pelkkä teksti.") == Script("Pelkkä teksti.")
    assert sentences(script.question) == ["Jos tämä sopii, paina 1.", "Jos ei, paina 2."]
