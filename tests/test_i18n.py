"""Every user-facing string has a Finnish and a Swedish translation."""

from tools.i18n import problems


def test_every_string_is_translated_to_finnish_and_swedish():
    missing = problems()
    assert missing == [], "\n".join(missing[:50])
