"""The helper's side: board, my errands, calendar feed."""

from app.errands import bp  # noqa: F401
