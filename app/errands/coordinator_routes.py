"""Coordinator pages for requests and errands."""

from app.errands import bp  # noqa: F401
