"""Writing the audit log. The caller's transaction commits it with the change.

Reading what only some may read is logged too: :func:`record_notes_viewed` is the
one place that writes "who saw an older resident's health or access notes".
"""

from __future__ import annotations

from typing import Any

from flask_login import current_user

from app.extensions import db
from app.models import AuditLog


def record(action: str, subject: Any = None, *, actor: Any = None, **details: Any) -> AuditLog:
    if actor is None and current_user and getattr(current_user, "is_authenticated", False):
        actor = current_user
    entry = AuditLog(
        action=action,
        actor_user_id=getattr(actor, "id", None),
        subject_type=type(subject).__name__ if subject is not None else None,
        subject_id=getattr(subject, "id", None),
        details={k: v for k, v in details.items() if v is not None},
    )
    db.session.add(entry)
    return entry


#: The action of an entry that says someone was shown an older resident's notes.
NOTES_VIEWED = "elder.notes_viewed"
#: The notes whose reading is logged.
NOTE_FIELDS = ("health_notes", "access_notes")


def record_notes_viewed(
    elder: Any, *, page: str, fields: tuple[str, ...] = NOTE_FIELDS, actor: Any = None
) -> AuditLog | None:
    """Log that ``actor`` (default: the logged-in user) was shown the person's ``fields``
    on ``page``; only the notes that hold something count, and nothing is written when
    none does. The route commits (a GET included)."""
    shown = [name for name in fields if getattr(elder, name)]
    if not shown:
        return None
    return record(NOTES_VIEWED, elder, actor=actor, fields=shown, page=page)
