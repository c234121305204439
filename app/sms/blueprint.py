"""The sms area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint
from flask_babel import lazy_pgettext

from app.ui import nav

bp = Blueprint("sms", __name__, url_prefix="/sms")

nav.add("coordinator", "sms.log", lazy_pgettext("menu", "SMS"), order=40)
