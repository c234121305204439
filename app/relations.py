"""How a contact person is related to the older resident: the stored codes in words.

Read by the residents' pages (the contact rows) and by the errands' pages (who
asked for help), so it sits below both.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

RELATIONS = {
    "spouse": _l("Spouse or partner"),
    "daughter": _l("Daughter"),
    "son": _l("Son"),
    "relative": _l("Other relative"),
    "neighbour": _l("Neighbour"),
    "friend": _l("Friend"),
    "other": _l("Other"),
}


def relation_label(code: str | None) -> str:
    if not code:
        return ""
    return str(RELATIONS.get(code, code))
