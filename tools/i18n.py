"""Translations: sources, catalogs and checks.

The source of truth is ``translations/src/<area>.json``: ``{msgid: {"fi": ..., "sv": ...}}``
with English msgids (English needs no catalog of its own). Each area owns its
file, so areas can be translated side by side. ``build`` writes the gettext
catalogs (``translations/<lang>/LC_MESSAGES/messages.po`` and ``.mo``) that
Flask-Babel reads; ``missing`` lists the strings in the code that still lack a
Finnish or Swedish translation.

    python tools/i18n.py build
    python tools/i18n.py missing [--json]
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import write_po

ROOT = Path(__file__).resolve().parent.parent
SRC = ROOT / "translations" / "src"
LANGS = ("fi", "sv")
KEYWORDS = {"_": None, "gettext": None, "_l": None, "lazy_gettext": None, "ngettext": (1, 2), "N_": None}
METHOD_MAP = [("app/**.py", "python"), ("templates/**.html", "jinja2")]
PLACEHOLDER = re.compile(r"%\((\w+)\)s|\{(\w+)\}")


def load_sources() -> dict[str, dict[str, str]]:
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(SRC.glob("*.json")):
        for msgid, langs in json.loads(path.read_text(encoding="utf-8")).items():
            merged.setdefault(msgid, {}).update({k: v for k, v in langs.items() if v})
    return merged


def extract_msgids() -> dict[str, list[str]]:
    """Every translatable string in the code, with where it stands."""
    found: dict[str, list[str]] = {}
    for filename, _lineno, message, _comments, _context in extract_from_dir(
        str(ROOT), method_map=METHOD_MAP, keywords=KEYWORDS, options_map={"templates/**.html": {}}
    ):
        msgids = message if isinstance(message, tuple) else (message,)
        for msgid in msgids:
            if msgid:
                found.setdefault(msgid, []).append(filename)
    return found


def placeholders(text: str) -> set[str]:
    return {a or b for a, b in PLACEHOLDER.findall(text)}


def problems() -> list[str]:
    sources = load_sources()
    out = []
    for msgid, where in sorted(extract_msgids().items()):
        for lang in LANGS:
            text = sources.get(msgid, {}).get(lang)
            if not text:
                out.append(f"{lang}: missing: {msgid!r} ({where[0]})")
            elif placeholders(text) != placeholders(msgid):
                out.append(f"{lang}: placeholders differ: {msgid!r} -> {text!r}")
    return out


def build() -> None:
    sources = load_sources()
    for lang in (*LANGS, "en"):
        catalog = Catalog(locale=lang, project="arjen-pelastajat", fuzzy=False)
        for msgid, langs in sorted(sources.items()):
            catalog.add(msgid, langs.get(lang, "") if lang != "en" else "")
        target = ROOT / "translations" / lang / "LC_MESSAGES"
        target.mkdir(parents=True, exist_ok=True)
        with (target / "messages.po").open("wb") as fh:
            write_po(fh, catalog, sort_output=True, width=0)
        with (target / "messages.mo").open("wb") as fh:
            write_mo(fh, catalog)


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else "build"
    if command == "build":
        build()
        return 0
    if command == "missing":
        if "--json" in argv:
            sources = load_sources()
            missing = {m: {} for m in extract_msgids() if not all(sources.get(m, {}).get(lang) for lang in LANGS)}
            print(json.dumps(missing, ensure_ascii=False, indent=1))
        else:
            print("\n".join(problems()) or "All strings are translated.")
        return 0
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
