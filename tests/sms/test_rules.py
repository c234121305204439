"""Pure rules: keywords, status order, quiet hours across DST, backoff."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from app.sms import keywords, rules
from tests.factories import helsinki


@pytest.mark.parametrize(
    ("text", "name", "code", "lang"),
    [
        ("KYLLÄ 123", "accept", "123", "fi"),
        ("kyllä 123", "accept", "123", "fi"),
        ("Kylla, 123.", "accept", "123", "fi"),
        ("JA 123", "accept", "123", "sv"),
        ("yes 123", "accept", "123", "en"),
        ("Kyllä", "accept", None, "fi"),
        ("EI 123", "decline", "123", "fi"),
        ("nej 77", "decline", "77", "sv"),
        ("NO 123", "decline", "123", "en"),
        ("VALMIS 123", "done", "123", "fi"),
        ("klar 123", "done", "123", "sv"),
        ("DONE 123", "done", "123", "en"),
        ("PERU 123", "cancel", "123", "fi"),
        ("avboka 123", "cancel", "123", "sv"),
        ("CANCEL 123", "cancel", "123", "en"),
        ("STOP", "stop", None, "en"),
        ("lopeta", "stop", None, "fi"),
        ("Sluta", "stop", None, "sv"),
        ("START", "start", None, "en"),
        ("aloita", "start", None, "fi"),
        ("HELP", "help", None, "en"),
        ("apua", "help", None, "fi"),
        ("HJÄLP", "help", None, "sv"),
    ],
)
def test_keywords(text, name, code, lang):
    command = keywords.parse(text)
    assert (command.name, command.code, command.language) == (name, code, lang)


@pytest.mark.parametrize("text", ["", "   ", "Kiitos avusta!", "STOP 123", "kyllä kiitos", "1234", "6", "0"])
def test_anything_else_is_for_a_person(text):
    assert keywords.parse(text).name == "other"


def test_feedback_digits_with_optional_comment():
    assert keywords.parse("5") == keywords.Command("feedback", score=5)
    assert keywords.parse(" 4 ") == keywords.Command("feedback", score=4)
    assert keywords.parse("3/5") == keywords.Command("feedback", score=3)
    assert keywords.parse("1, myöhästyi tunnin") == keywords.Command("feedback", score=1, comment="myöhästyi tunnin")


def test_status_only_moves_forwards():
    assert rules.may_advance("queued", "sending")
    assert rules.may_advance("sending", "delivered")
    assert rules.may_advance("sent", "undelivered")
    assert not rules.may_advance("delivered", "sent")
    assert not rules.may_advance("sent", "queued")
    assert not rules.may_advance("undelivered", "delivered")
    assert not rules.may_advance("failed", "sent")
    assert not rules.may_advance("delivered", "delivered")
    assert set(rules.statuses_before("sent")) == {"queued", "held", "sending"}


@pytest.mark.parametrize(
    ("now", "release"),
    [
        (helsinki(2027, 6, 1, 20, 59), None),
        (helsinki(2027, 6, 1, 21, 0), helsinki(2027, 6, 2, 8)),
        (helsinki(2027, 6, 2, 3, 0), helsinki(2027, 6, 2, 8)),
        (helsinki(2027, 6, 2, 8, 0), None),
        # The nights the clocks change: 08:00 is still 08:00 on the wall.
        (helsinki(2027, 3, 27, 23, 0), helsinki(2027, 3, 28, 8)),
        (helsinki(2027, 10, 30, 22, 30), helsinki(2027, 10, 31, 8)),
    ],
)
def test_quiet_hours(now, release):
    assert rules.quiet_until(now) == release


def test_quiet_hours_last_the_right_number_of_real_hours_across_dst():
    spring = rules.quiet_until(helsinki(2027, 3, 27, 21)) - helsinki(2027, 3, 27, 21)
    autumn = rules.quiet_until(helsinki(2027, 10, 30, 21)) - helsinki(2027, 10, 30, 21)
    assert spring == timedelta(hours=10)  # an hour is skipped
    assert autumn == timedelta(hours=12)  # an hour is lived twice


def test_same_day_cancellation_may_break_quiet_hours():
    late = helsinki(2027, 6, 1, 22)
    release = rules.quiet_until(late)
    assert rules.cancellation_is_urgent(late, helsinki(2027, 6, 1, 23), release)
    assert rules.cancellation_is_urgent(late, helsinki(2027, 6, 2, 9), release)  # before anyone would hear
    assert not rules.cancellation_is_urgent(late, helsinki(2027, 6, 3, 12), release)


def test_backoff_grows_exponentially_with_jitter_and_a_cap():
    rng = random.Random(1)
    delays = [rules.backoff_seconds(n, 10, 300, rng) for n in range(1, 8)]
    for n, delay in enumerate(delays, start=1):
        full = min(300, 10 * 2 ** (n - 1))
        assert full / 2 <= delay <= full
    assert len({round(d, 6) for d in delays}) == len(delays)
