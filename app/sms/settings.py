"""SMS settings: read from ``current_app.config`` only.

Their defaults, types and allowed values are declared once in ``config.py``
(``SETTINGS``), read from the environment and checked when the app starts.
"""

from __future__ import annotations

from typing import Any

from flask import current_app


def setting(key: str) -> Any:
    return current_app.config[key]
