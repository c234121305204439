"""app.inputs: every submitted text cleaned, integers bounded to the database's INTEGER."""

from __future__ import annotations

import pytest

from app.inputs import MAX_INT, clean_text, to_int


def test_clean_text_removes_control_characters_and_keeps_what_people_type():
    assert clean_text("a\x00b\x01c\x1b[31md\x7fe\x9f") == "abc[31mde"
    assert clean_text("Rivi 1\r\nRivi 2\tSarake") == "Rivi 1\r\nRivi 2\tSarake"
    assert clean_text("Äiti, Åsa ja 😀 – “lainaus”") == "Äiti, Åsa ja 😀 – “lainaus”"


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("12", 12),
        (" 12 ", 12),
        ("-3", None),
        (str(MAX_INT), MAX_INT),
        (str(MAX_INT + 1), None),
        ("99999999999999999999", None),
        (str(-(2**31) - 1), None),
        ("", None),
        (" ", None),
        (None, None),
        ("1.5", None),
        ("1e3", None),
        ("0x10", None),
        ("abc", None),
        (True, None),
        (7, 7),
        (2**40, None),
    ],
)
def test_to_int(raw, expected):
    assert to_int(raw) == expected


def test_to_int_takes_other_bounds():
    assert to_int("-3", minimum=-10) == -3
    assert to_int("11", maximum=10) is None


def test_the_request_is_cleaned_and_the_raw_fields_kept(app):
    with app.test_request_context(
        "/x?n=99999999999&m=%20&k=5&t=a%00b", method="POST", data={"body": "Hei\x00!", "na\x00me": "x", "blank": " \t "}
    ):
        from flask import request

        assert request.form["body"] == "Hei!"
        assert request.form.raw["body"] == "Hei\x00!"
        assert "name" in request.form
        assert request.args["t"] == "ab"
        assert request.args.get("n", type=int) is None
        assert request.args.get("m", 1, type=int) == 1
        assert request.args.get("k", type=int) == 5
        assert request.args.getlist("k", type=int) == [5]
        assert request.values["body"] == "Hei!"
        assert request.form["blank"] == "" and request.form.raw["blank"] == " \t "


def test_ids_beyond_the_database_integer_are_not_found(client, make):
    coordinator = make.coordinator()
    client.login(coordinator.email)
    assert client.get(f"/elders/{MAX_INT + 1}").status_code == 404
    assert client.get("/elders/99999999999999999999999").status_code == 404
    assert client.get(f"/elders/{MAX_INT}").status_code == 404  # in range, just not there


def test_integer_filters_ignore_blank_garbage_and_huge_values(client, make):
    coordinator = make.coordinator()
    client.login(coordinator.email)
    for query in ("helper=%20", "helper=99999999999", "elder=abc", "page=99999999999999", "elder=-1"):
        assert client.get(f"/encounters/?{query}").status_code == 200, query
    for query in ("municipality=%20", "municipality=99999999999", "status=%00"):
        assert client.get(f"/elders/?{query}").status_code == 200, query


def test_encounter_filter_dates_outside_the_calendar_are_refused_not_a_500(client, make):
    helper = make.helper()
    client.login(helper.user.email)
    for query in ("date_to=9999-12-31", "date_from=0001-01-01", "date_from=2026-01-01&date_to=2026-12-31"):
        assert client.get(f"/encounters/?{query}").status_code == 200, query
