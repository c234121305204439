"""Merge the old JSON translation sources into the gettext catalogs.

Until issue 14 the texts were kept in ``translations/src/<area>.json``
(``{msgid: {"fi": ..., "sv": ...}}``, optionally ``"en"``); now the catalogs
``translations/{fi,sv,en}/LC_MESSAGES/messages.po`` are the source of truth.
This tool reads whatever ``translations/src/*.json`` files are present and adds
or updates their entries in the three catalogs, so branches that still added a
JSON file can be merged:

    python tools/json_to_po.py            # merge, then delete the JSON files you merged
    make i18n-extract i18n-update translations

The files are read in the order the old build read them (sorted by name) and a
later file wins for the same message, as it did. A language a file leaves empty
keeps what the catalog has. English shows the msgid unless a file gives an
``"en"`` text. Entries are added without a context and as singular messages; an
entry whose msgid is a plural message in the catalog is reported and left alone.
Every catalog text that the merge changes is printed, so a visible change is seen.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SRC = TRANSLATIONS / "src"
LANGS = ("fi", "sv", "en")


def load_sources(src: Path = SRC) -> dict[str, dict[str, str]]:
    """Every JSON file's entries, merged in file-name order: a later file wins."""
    merged: dict[str, dict[str, str]] = {}
    for path in sorted(src.glob("*.json")):
        for msgid, langs in json.loads(path.read_text(encoding="utf-8")).items():
            merged.setdefault(msgid, {}).update({k: v for k, v in langs.items() if v})
    return merged


def catalog_path(lang: str, root: Path = TRANSLATIONS) -> Path:
    return root / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=lang, project="arjen-pelastajat", fuzzy=False)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def merge(catalog: Catalog, lang: str, sources: dict[str, dict[str, str]]) -> list[str]:
    """Adds or updates the sources' texts for ``lang`` in ``catalog``; returns what changed."""
    report = []
    for msgid, langs in sources.items():
        text = langs.get(lang) or (msgid if lang == "en" else "")
        if not text:
            continue
        if msgid in catalog.obsolete:
            del catalog.obsolete[msgid]
        message = catalog.get(msgid)
        if message is None:
            catalog.add(msgid, text)
            continue
        if message.pluralizable:
            report.append(f"{lang}: plural message in the catalog, left alone: {msgid!r}")
            continue
        if message.string and message.string != text and not message.fuzzy:
            report.append(f"{lang}: changed: {msgid!r}: {message.string!r} -> {text!r}")
        message.string = text
        message.flags.discard("fuzzy")
    return report


def write_catalog(catalog: Catalog, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as fh:
        write_po(fh, catalog, width=0, sort_output=True, ignore_obsolete=True)


def main(argv: list[str]) -> int:
    sources = load_sources()
    if not sources:
        print(f"No JSON files in {SRC.relative_to(ROOT)}: nothing to merge.")
        return 0
    for lang in LANGS:
        path = catalog_path(lang)
        catalog = read_catalog(path, lang)
        report = merge(catalog, lang, sources)
        write_catalog(catalog, path)
        print("\n".join(report) if report else f"{lang}: no existing text changed.")
    print(f"Merged {len(sources)} messages into {', '.join(LANGS)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
