"""Writing the audit log. The caller's transaction commits it with the change."""

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
