"""Scheduling settings: read from ``current_app.config`` only.

Their defaults, types and allowed values are declared once in ``config.py``
(``SETTINGS`` for the environment variables, ``Config`` for the fixed job
intervals and lock values).
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def setting(key: str) -> Any:
    return current_app.config[key]
