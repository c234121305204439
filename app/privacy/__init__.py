"""Privacy: a person's data export, erasure of older residents and relatives,
and anonymising people whose service ended long ago (GDPR articles 15 and 17,
and storage limitation). Coordinators and admins only."""

from flask import Blueprint

from app.privacy.labels import reason_text
from app.ui import blocks

bp = Blueprint("privacy", __name__, url_prefix="/privacy")
# Every page that shows an audit entry's reason shows it with this (codes translated).
bp.add_app_template_global(reason_text, "audit_reason")

blocks.add("elder_page", "privacy/_elder_block.html", order=90)

from app.privacy import routes  # noqa: E402,F401
