"""Privacy: a person's data export, erasure of older residents and relatives,
a helper deleting their own account, and anonymising people whose service
ended long ago (GDPR articles 15 and 17, and storage limitation).

The pages live under ``/privacy/`` (coordinators and admins), except the
helper's own "delete my account" page, which keeps its address among the
helper's pages (``/helpers/me/delete``); so the blueprint has no URL prefix
and each route writes its whole path."""

from flask import Blueprint

from app.privacy.erasure import erasure_info
from app.privacy.labels import reason_text
from app.ui import blocks, facts

bp = Blueprint("privacy", __name__)
# Every page that shows an audit entry's reason shows it with this (codes translated).
bp.add_app_template_global(reason_text, "audit_reason")

blocks.add("elder_page", "privacy/_elder_block.html", order=90)
# The residents' page of an erased person shows when, by whom and why (from the audit log).
facts.add("erased_elder", erasure_info)

from app.privacy import routes  # noqa: E402,F401
