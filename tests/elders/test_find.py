"""Finding people fast: search by name or phone, filter, paginate, flag."""

from __future__ import annotations

import re

import pytest

from app.elders.search import phone_fragment


def _names(html: str) -> list[str]:
    """The names in the result table, in order ("Last, First")."""
    return re.findall(r'<td><a href="/elders/\d+">([^<]+)</a></td>', html)


def _found(client, query: str) -> list[str]:
    """The names a search finds; a single match opens the person's page directly."""
    response = client.get(f"/elders/?q={query}")
    if response.status_code == 302:
        assert re.search(r"/elders/\d+$", response.headers["Location"])
        first, last = re.search(
            r"<h1>(\S+) (\S+)</h1>", client.get(response.headers["Location"]).get_data(as_text=True)
        ).groups()
        return [f"{last}, {first}"]
    return _names(response.get_data(as_text=True))


@pytest.fixture()
def people(make, org, db):
    other_org = make.organization("Kuhmon kotipalvelu", municipalities=("Kuhmo",), kind="home_care")
    found = {
        "aili": make.elder(org=org, first_name="Aili", last_name="Ärväs", phone="+358401234567"),
        "eino": make.elder(org=org, first_name="Eino", last_name="Heikkinen", phone="+35886151234", status="paused"),
        "helmi": make.elder(org=org, first_name="Helmi", last_name="Ahonen", phone=None, with_relative=True),
        "ended": make.elder(org=org, first_name="Toivo", last_name="Moilanen", status="ended"),
        "elsewhere": make.elder(org=other_org, first_name="Aili", last_name="Korhonen"),
    }
    found["helmi"].municipality = make.municipality("Sotkamo")
    db.session.commit()
    return found


@pytest.mark.parametrize(
    ("typed", "fragment"),
    [("040 123", "35840123"), ("+358 40 123 4567", "358401234567"), ("4567", "4567"), ("0040", "40"), ("abc", None)],
)
def test_phone_fragment(typed, fragment):
    assert phone_fragment(typed) == fragment


def test_list_is_sorted_by_last_name_and_scoped_to_own_organizations(client, coordinator, people):
    html = client.get("/elders/").get_data(as_text=True)
    assert _names(html)[:3] == ["Ahonen, Helmi", "Heikkinen, Eino", "Moilanen, Toivo"]
    assert sorted(_names(html)) == sorted(["Ahonen, Helmi", "Heikkinen, Eino", "Moilanen, Toivo", "Ärväs, Aili"])
    assert "Korhonen" not in html  # another organization's resident
    assert "Löytyi: 4" in html


def test_search_by_partial_name_ignores_case(client, coordinator, people):
    assert _found(client, "heik") == ["Heikkinen, Eino"]
    assert _found(client, "EINO") == ["Heikkinen, Eino"]
    assert _found(client, "helmi+aho") == ["Ahonen, Helmi"]
    html = client.get("/elders/?q=aili", follow_redirects=True).get_data(as_text=True)
    assert "Korhonen" not in html and "Ärväs" in html


def test_search_by_phone_typed_the_finnish_way(client, coordinator, people):
    assert _found(client, "040+123+45") == ["Ärväs, Aili"]
    assert _found(client, "%2B358401234567") == ["Ärväs, Aili"]
    assert _found(client, "1234") == ["Heikkinen, Eino", "Ärväs, Aili"]
    assert _found(client, "08-615") == ["Heikkinen, Eino"]


def test_search_finds_a_relatives_number(client, coordinator, people):
    relative_phone = people["helmi"].contacts[0].phone  # +3584030xxxxx
    typed = "0" + relative_phone.removeprefix("+358")
    assert _found(client, f"{typed}") == ["Ahonen, Helmi"]


def test_search_by_part_of_the_address(client, coordinator, people, db):
    people["eino"].street_address = "Koulutie 12"
    people["helmi"].street_address = "Koulukatu 3"
    db.session.commit()
    assert _found(client, "koulu") == ["Ahonen, Helmi", "Heikkinen, Eino"]
    assert _found(client, "koulutie") == ["Heikkinen, Eino"]


def test_a_single_match_opens_the_person(client, coordinator, people):
    response = client.get("/elders/?q=heik")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/elders/{people['eino'].id}")
    assert client.get("/elders/?q=heik&page=2").status_code == 200  # not from a later page


def test_filters_by_municipality_status_and_attention(client, coordinator, people, make, db):
    sotkamo = make.municipality("Sotkamo")
    assert _names(client.get(f"/elders/?municipality={sotkamo.id}").get_data(as_text=True)) == ["Ahonen, Helmi"]
    assert _names(client.get("/elders/?status=paused").get_data(as_text=True)) == ["Heikkinen, Eino"]
    assert _names(client.get("/elders/?status=ended").get_data(as_text=True)) == ["Moilanen, Toivo"]
    people["aili"].lat = people["aili"].lon = None
    people["eino"].consent_given = False
    db.session.commit()
    html = client.get("/elders/?attention=y").get_data(as_text=True)
    assert sorted(_names(html)) == ["Heikkinen, Eino", "Ärväs, Aili"]
    assert "Ei kartalla" in html and "Suostumusta ei kirjattu" in html
    assert "Tauolla" in html  # status badge of the paused one
    # Filters stay in the form after searching.
    assert '<option selected value="paused">' in client.get("/elders/?status=paused").get_data(as_text=True)


def test_nothing_found_says_so(client, coordinator, people):
    html = client.get("/elders/?q=zzz").get_data(as_text=True)
    assert "Haulla ei löytynyt ketään." in html and "Löytyi: 0" in html


def test_pagination_keeps_the_search(client, coordinator, make, org, app):
    for i in range(app.config["PAGE_SIZE"] + 3):
        make.elder(org=org, first_name="Sisko", last_name=f"Nieminen{i:02d}")
    make.elder(org=org, first_name="Muu", last_name="Aaltonen")
    html = client.get("/elders/?q=sisko").get_data(as_text=True)
    assert len(_names(html)) == app.config["PAGE_SIZE"]
    assert re.search(r"Sivu 1 ?/ ?2", html)
    assert 'href="/elders/?page=2&amp;q=sisko"' in html
    page2 = client.get("/elders/?page=2&q=sisko").get_data(as_text=True)
    assert _names(page2) == [f"Nieminen{i:02d}, Sisko" for i in range(25, 28)]
    assert "Aaltonen" not in page2
    # A page past the end is empty, not an error.
    assert client.get("/elders/?page=99&q=sisko").status_code == 200
