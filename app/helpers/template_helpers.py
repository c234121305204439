"""What the helper area's templates (and its start-page blocks) can call.

Everything is reachable through one name, ``helpers_ui``, so the area adds a
single global to every template.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from types import SimpleNamespace

from flask_login import current_user

from app.helpers import labels
from app.helpers.blueprint import bp
from app.helpers.profile_fit import PROFILE_NAMES
from app.helpers.services import consent_state, pending_helpers, today_local
from app.i18n import current_language
from app.models import HelperProfile
from app.phones import display_phone


@dataclass(frozen=True)
class StatusView:
    """A helper's situation in words the status page and the start-page block show."""

    status: str
    consent: str
    minor: bool
    paused_until: date | None
    can_get_errands: bool

    @property
    def waiting_for_consent(self) -> bool:
        return self.consent == "waiting"

    @property
    def consent_blocks(self) -> bool:
        return self.minor and self.consent in ("waiting", "withdrawn", "refused", "missing")


def status_view(profile: HelperProfile) -> StatusView:
    today = today_local()
    minor = profile.is_minor_on(today)
    consent = consent_state(profile, today)
    paused = profile.paused_until if profile.is_paused_on(today) else None
    can = profile.status == "approved" and paused is None and (not minor or consent == "given")
    return StatusView(profile.status, consent, minor, paused, can)


def _own_status() -> StatusView | None:
    if not current_user.is_authenticated or current_user.role != "helper" or current_user.helper_profile is None:
        return None
    return status_view(current_user.helper_profile)


def _pending_for_block() -> list[HelperProfile]:
    if not current_user.is_authenticated or current_user.role not in ("coordinator", "admin"):
        return []
    return pending_helpers(current_user, limit=5)


def municipality_label(m) -> str:
    if m is None:
        return ""
    return m.name_sv if current_language() == "sv" and m.name_sv else m.name


@bp.app_context_processor
def _inject() -> dict:
    return {
        "helpers_ui": SimpleNamespace(
            labels=labels,
            profile_names=PROFILE_NAMES,
            profile_label=labels.profile_label,
            status_view=status_view,
            own_status=_own_status,
            pending_for_block=_pending_for_block,
            consent_state=lambda p: consent_state(p),
            display_phone=display_phone,
            municipality_label=municipality_label,
        )
    }
