"""The errands area's blueprint and its places in the navigation; the pages import ``bp`` from here."""

from flask import Blueprint

bp = Blueprint("errands", __name__)
