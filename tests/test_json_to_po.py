"""tools/json_to_po.py merges JSON translation sources left by other branches into
the catalogs as the old build did (delete this test together with the tool)."""

from __future__ import annotations

import json
import shutil

from tools import json_to_po
from tools.json_to_po import catalog_path, load_sources, merge, read_catalog, write_catalog


def test_later_file_wins_and_an_empty_language_keeps_the_catalog(tmp_path):
    (tmp_path / "a.json").write_text(json.dumps({"Save": {"fi": "Talleta", "sv": "Spara"}, "New": {"fi": "Uusi"}}))
    (tmp_path / "b.json").write_text(json.dumps({"Save": {"fi": "Tallenna", "sv": ""}}))
    assert load_sources(tmp_path) == {"Save": {"fi": "Tallenna", "sv": "Spara"}, "New": {"fi": "Uusi"}}


def test_merge_adds_updates_and_reports_changed_texts(tmp_path):
    root = tmp_path / "translations"
    shutil.copytree(json_to_po.TRANSLATIONS, root, ignore=shutil.ignore_patterns("*.mo", "src"))
    sources = {
        "Name": {"fi": "Nimi", "sv": "Namn"},  # as the catalog has it: no change
        "Status": {"fi": "Tilanne"},  # changes the Finnish text, keeps the Swedish
        "A brand new text": {"fi": "Ihan uusi teksti", "sv": "En helt ny text"},
    }
    reports = {}
    for lang in ("fi", "sv", "en"):
        catalog = read_catalog(catalog_path(lang, root), lang)
        reports[lang] = merge(catalog, lang, sources)
        write_catalog(catalog, catalog_path(lang, root))

    assert reports["fi"] == ["fi: changed: 'Status': 'Tila' -> 'Tilanne'"]
    assert reports["sv"] == reports["en"] == []
    fi, sv, en = (read_catalog(catalog_path(lang, root), lang) for lang in ("fi", "sv", "en"))
    assert fi.get("Status").string == "Tilanne" and sv.get("Status").string == "Status"
    assert fi.get("A brand new text").string == "Ihan uusi teksti"
    assert sv.get("A brand new text").string == "En helt ny text"
    assert en.get("A brand new text").string == "A brand new text"  # English says the id
    assert fi.get("To", context="message direction").string == "Vastaanottaja"  # contexts untouched
