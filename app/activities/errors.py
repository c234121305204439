"""The one error of the activities area: a broken rule with a stable code (texts in app.activities.labels)."""

from __future__ import annotations


class ActivityError(Exception):
    """A rule was broken; ``code`` names it, ``field`` is the form field it concerns."""

    def __init__(self, code: str, field: str | None = None) -> None:
        super().__init__(code)
        self.code = code
        self.field = field
