"""New passwords: refuse the commonly used ones.

The list is the "20,000 common passwords" (19,640 after deduplication) that Django ships
(``django/contrib/auth/common-passwords.txt.gz``, lower-cased, made by Royce
Williams from breach corpora; BSD licence, see ``data/COMMON-PASSWORDS.txt``).
A password is refused when it, lower-cased and without surrounding spaces, is on
the list. Used by every form that sets a password: the helper's sign-up, the
admin's coordinator forms and the ``create-admin`` command.
"""

from __future__ import annotations

import gzip
from functools import lru_cache
from pathlib import Path

from flask_babel import lazy_gettext as _l
from wtforms.validators import ValidationError

LIST_PATH = Path(__file__).resolve().parent / "data" / "common-passwords.txt.gz"

COMMON_PASSWORD_MESSAGE = _l(
    "This password is one of the most commonly used ones and easy to guess. Choose another one."
)


@lru_cache(maxsize=1)
def _common() -> frozenset[str]:
    with gzip.open(LIST_PATH, "rt", encoding="utf-8") as f:
        return frozenset(line.strip() for line in f if line.strip())


def is_common_password(password: str) -> bool:
    return password.strip().lower() in _common()


class NotCommonPassword:
    """WTForms validator: refuses a password from the common-passwords list."""

    def __call__(self, form, field) -> None:
        if field.data and is_common_password(field.data):
            raise ValidationError(str(COMMON_PASSWORD_MESSAGE))
