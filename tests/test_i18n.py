"""The gettext catalogs: every text in the code and templates has a Finnish and a
Swedish translation, the template (messages.pot) lists what the code says, and
the compiled .mo files are built from the current .po files.

The messages are extracted with babel's own API, with babel.cfg and the keywords
the Makefile's ``i18n-extract`` gives ``pybabel extract``.
"""

from __future__ import annotations

import gettext
import io
import re
from functools import cache
from pathlib import Path

import pytest
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_keywords, parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]|\{(\w+)\}")


def makefile_keywords() -> dict:
    line = next(x for x in (ROOT / "Makefile").read_text().splitlines() if x.startswith("BABEL_KEYWORDS"))
    return {**DEFAULT_KEYWORDS, **parse_keywords(re.findall(r"-k\s+(\S+)", line))}


@cache
def extracted() -> dict[tuple[str | None, str], tuple[str, str]]:
    """(context, msgid) -> (msgid or (singular, plural), first file) for every message in the code."""
    with (ROOT / "babel.cfg").open() as fh:
        method_map, options_map = parse_mapping_cfg(fh)
    found = {}
    for filename, _lineno, message, _comments, context in extract_from_dir(
        str(ROOT), method_map=method_map, options_map=options_map, keywords=makefile_keywords()
    ):
        msgid = message[0] if isinstance(message, tuple) else message
        if msgid:
            found.setdefault((context, msgid), (message, filename))
    return found


@cache
def catalog(name: str) -> Catalog:
    path = TRANSLATIONS / "messages.pot" if name == "pot" else TRANSLATIONS / name / "LC_MESSAGES" / "messages.po"
    with path.open("rb") as fh:
        return read_po(fh, locale=None if name == "pot" else name)


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


@pytest.mark.parametrize("lang", ["fi", "sv"])
def test_every_string_is_translated_to_finnish_and_swedish(lang):
    problems = []
    for (context, msgid), (message, filename) in sorted(extracted().items(), key=lambda kv: (kv[0][1], kv[0][0] or "")):
        entry = catalog(lang).get(msgid, context=context)
        where = f"{msgid!r}" + (f" (context {context!r})" if context else "") + f" in {filename}"
        if entry is None or entry.fuzzy:
            problems.append(f"{lang}: missing: {where}")
            continue
        texts = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        allowed = placeholders(" ".join(message) if isinstance(message, tuple) else message)
        if not all(texts):
            problems.append(f"{lang}: missing: {where}")
        elif isinstance(message, tuple) != isinstance(entry.id, tuple):
            problems.append(f"{lang}: singular/plural differ from the code (run make i18n-update): {where}")
        elif any(not placeholders(t) <= allowed for t in texts) or (
            not isinstance(message, tuple) and placeholders(texts[0]) != allowed
        ):
            problems.append(f"{lang}: placeholders differ: {where} -> {texts!r}")
    assert problems == [], "\n".join(problems[:50])


def test_the_template_lists_every_string_of_the_code():
    """messages.pot is what `make i18n-extract` writes from the current code."""
    in_pot = {(m.context, m.id[0] if isinstance(m.id, tuple) else m.id) for m in catalog("pot") if m.id}
    assert sorted(set(extracted()) - in_pot, key=str) == [], "run make i18n-extract i18n-update"
    assert sorted(in_pot - set(extracted()), key=str) == [], "run make i18n-extract i18n-update"


@pytest.mark.parametrize("lang", ["fi", "sv", "en"])
def test_the_compiled_catalogs_are_current(lang):
    """The .mo that Flask-Babel reads says what the .po says (`make translations` compiles it)."""
    built = io.BytesIO()
    write_mo(built, catalog(lang))
    expected = gettext.GNUTranslations(io.BytesIO(built.getvalue()))._catalog
    mo = TRANSLATIONS / lang / "LC_MESSAGES" / "messages.mo"
    assert mo.exists(), "run make translations"
    with mo.open("rb") as fh:
        assert gettext.GNUTranslations(fh)._catalog == expected, "run make translations"
