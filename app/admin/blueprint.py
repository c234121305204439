"""The admin area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint

bp = Blueprint("admin", __name__, url_prefix="/admin")
