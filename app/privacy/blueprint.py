"""The privacy area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

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
