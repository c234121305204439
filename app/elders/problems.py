"""What is wrong with a coordinator's input about an older resident.

Services raise :class:`ElderInputError` with a list of ``(field, code)``
pairs; the form turns each into a message next to its field.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Problem:
    field: str
    code: str


class ElderInputError(Exception):
    """The input breaks a rule; ``problems`` says which field and why."""

    def __init__(self, problems: list[Problem]):
        super().__init__(", ".join(f"{p.field}:{p.code}" for p in problems))
        self.problems = problems
