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
from app.helpers.services import consent_state, pending_helpers
from app.i18n import current_language, today_local
from app.models import HelperProfile
from app.ui import Block, blocks


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


def status_block(profile: HelperProfile | None) -> dict | None:
    """The helper's start-page block: their status, consent and break (None: not shown)."""
    if profile is None:
        return None
    return {"profile": profile, "view": status_view(profile)}


def pending_block() -> dict:
    """The coordinator's start-page block: registrations waiting for approval, with their status."""
    return {"waiting": [(h, status_view(h)) for h in pending_helpers(current_user, limit=5)]}


blocks.add("coordinator_home", Block("helpers/_pending_block.html", pending_block))
blocks.add("helper_home", Block("helpers/_status_block.html", status_block))


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
            consent_state=lambda p: consent_state(p),
            municipality_label=municipality_label,
        )
    }
