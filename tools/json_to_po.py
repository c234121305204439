"""Merge the old JSON translation sources into the gettext catalogs.

Until issue 14 the texts were kept in ``translations/src/<area>.json``
(``{msgid: {"fi": ..., "sv": ...}}``, optionally ``"en"``); now the catalogs
``translations/{fi,sv,en}/LC_MESSAGES/messages.po`` are the source of truth.
This tool reads whatever ``translations/src/*.json`` files are present and adds
or updates their entries in the three catalogs, so branches that still added a
JSON file can be merged:

    python tools/json_to_po.py            # merge, then delete the JSON files you merged
    make i18n-extract i18n-update translations

The result is the one the old build (``tools/i18n.py``) would have given: it read
every file sorted by name and a later file won for the same message, language by
language, and a language a file left empty kept the earlier text. So the files
are merged together with the JSON files as they were when the catalogs replaced
them (read from git), and only what the present files change in that result is
written into the catalogs; corrections made in the .po files since then stay.
(A new file that sorts before ``sms.json`` does not override ``sms.json``'s text,
as before.) English shows the msgid unless a file gives an ``"en"`` text. Entries
are added without a context and as singular messages; an entry whose msgid is a
plural message in the catalog is reported and left alone. Every catalog text that
the merge changes is printed, so a visible change is seen.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = ROOT / "translations"
SRC = TRANSLATIONS / "src"
LANGS = ("fi", "sv", "en")
#: A file that was among the JSON sources when the catalogs replaced them.
CONVERTED_FILE = "translations/src/core.json"

Sources = dict[str, dict[str, str]]


def merged(files: Iterable[tuple[str, Sources]]) -> Sources:
    """The files' entries merged in file-name order: a later file wins, language by language."""
    result: Sources = {}
    for _name, entries in sorted(files, key=lambda file: file[0]):
        for msgid, langs in entries.items():
            result.setdefault(msgid, {}).update({k: v for k, v in langs.items() if v})
    return result


def present_files(src: Path = SRC) -> dict[str, Sources]:
    return {path.name: json.loads(path.read_text(encoding="utf-8")) for path in sorted(src.glob("*.json"))}


def converted_files(root: Path = ROOT) -> dict[str, Sources]:
    """The JSON sources as they were just before the commit that deleted them."""

    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, check=True, capture_output=True, text=True).stdout

    commit = git("log", "-1", "--diff-filter=D", "--format=%H", "--", CONVERTED_FILE).strip()
    if not commit:
        raise SystemExit(f"git history has no commit deleting {CONVERTED_FILE}: cannot tell the old file order")
    names = git("ls-tree", "--name-only", f"{commit}^", "translations/src/").split()
    return {Path(name).name: json.loads(git("show", f"{commit}^:{name}")) for name in names if name.endswith(".json")}


def changes(converted: dict[str, Sources], present: dict[str, Sources]) -> Sources:
    """What the present files change in the old build's result: {msgid: {lang: text}}."""
    before = merged(converted.items())
    after = merged({**converted, **present}.items())
    out: Sources = {}
    for msgid, langs in after.items():
        changed = {lang: text for lang, text in langs.items() if before.get(msgid, {}).get(lang) != text}
        if changed:
            out[msgid] = changed
    return out


def catalog_path(lang: str, root: Path = TRANSLATIONS) -> Path:
    return root / lang / "LC_MESSAGES" / "messages.po"


def read_catalog(path: Path, lang: str) -> Catalog:
    if not path.exists():
        return Catalog(locale=lang, project="arjen-pelastajat", fuzzy=False)
    with path.open("rb") as fh:
        return read_po(fh, locale=lang)


def merge(catalog: Catalog, lang: str, sources: Sources) -> list[str]:
    """Adds or updates the sources' texts for ``lang`` in ``catalog``; returns what changed."""
    report = []
    for msgid, langs in sources.items():
        text = langs.get(lang) or ""
        message = catalog.get(msgid)
        if lang == "en" and not text and (message is None or not message.string or message.fuzzy):
            text = msgid  # English says the id unless a file says otherwise
        if not text:
            continue
        if msgid in catalog.obsolete:
            del catalog.obsolete[msgid]
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
    present = present_files()
    if not present:
        print(f"No JSON files in {SRC.relative_to(ROOT)}: nothing to merge.")
        return 0
    sources = changes(converted_files(), present)
    for lang in LANGS:
        path = catalog_path(lang)
        catalog = read_catalog(path, lang)
        report = merge(catalog, lang, sources)
        write_catalog(catalog, path)
        print("\n".join(report) if report else f"{lang}: no existing text changed.")
    print(f"Merged {len(sources)} changed or new messages from {', '.join(present)} into {', '.join(LANGS)}.")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
