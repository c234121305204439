"""tools/json_to_po.py merges JSON translation sources left by other branches into
the catalogs as the old build did (delete this test together with the tool)."""

from __future__ import annotations

import shutil
import subprocess

import pytest

from tools import json_to_po
from tools.json_to_po import catalog_path, changes, converted_files, merge, merged, read_catalog, write_catalog


def test_later_file_wins_and_an_empty_language_keeps_the_earlier_text():
    files = {
        "b.json": {"Save": {"fi": "Tallenna", "sv": ""}},
        "a.json": {"Save": {"fi": "Talleta", "sv": "Spara"}, "New": {"fi": "Uusi"}},
    }
    assert merged(files.items()) == {"Save": {"fi": "Tallenna", "sv": "Spara"}, "New": {"fi": "Uusi"}}


def test_only_what_the_new_files_change_in_the_old_order_is_merged():
    converted = {
        "core.json": {"Save": {"fi": "Tallenna", "sv": "Spara"}, "Send": {"fi": "Lähetä"}},
        "sms.json": {"Send": {"fi": "Lähetä nyt"}},
    }
    present = {
        "i14_x.json": {"Send": {"fi": "Lähetä heti"}, "New": {"fi": "Uusi", "sv": "Ny"}},  # sorts before sms.json
        "zz.json": {"Save": {"fi": "Talleta", "sv": "Spara"}},
    }
    assert changes(converted, present) == {"New": {"fi": "Uusi", "sv": "Ny"}, "Save": {"fi": "Talleta"}}


@pytest.mark.skipif(shutil.which("git") is None, reason="git is not installed")
def test_the_converted_files_are_read_from_git():
    try:
        files = converted_files()
    except subprocess.CalledProcessError:
        pytest.skip("not a git checkout")
    assert {"core.json", "sms.json", "helpers.json"} <= set(files)
    assert files["core.json"]


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


def test_writing_a_catalog_back_changes_nothing(tmp_path):
    """The tool writes the .po files as pybabel update does: a merge touches only its entries."""
    for lang in ("fi", "sv", "en"):
        target = tmp_path / f"{lang}.po"
        write_catalog(read_catalog(catalog_path(lang), lang), target)
        assert target.read_bytes() == catalog_path(lang).read_bytes()
