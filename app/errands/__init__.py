"""Errands: requests taken on the phone, matching, offers, the helper's board
and the errand's whole life."""

from flask import Blueprint

bp = Blueprint("errands", __name__)

from app.errands import coordinator, helper_routes  # noqa: E402,F401
