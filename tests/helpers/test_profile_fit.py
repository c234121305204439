"""The pure youth-profile suggestion (no Flask, no database)."""

from __future__ import annotations

import itertools

import pytest

from app.helpers.profile_fit import PROFILE_NAMES, PROFILES, PROTOTYPES, Sliders, suggest, suggest_code


@pytest.mark.parametrize(
    ("sliders", "expected"),
    [
        # Acts alone, a service user, looks after self, prefers in-person service: a small life sphere.
        ((5, 1, 2, 5), "vahaan_tyytyvat"),
        ((4, 2, 1, 5), "vahaan_tyytyvat"),
        # A few people, routines, many e-services.
        ((3, 2, 2, 1), "arjen_pyorittajat"),
        ((3, 3, 3, 2), "arjen_pyorittajat"),
        # Active, self-directed, many e-services.
        ((2, 5, 3, 1), "tulevaisuususkoiset"),
        ((3, 5, 2, 2), "tulevaisuususkoiset"),
        # Wants to belong and to be there for others: looking for a role.
        ((2, 3, 5, 3), "toivokkaat"),
        ((1, 4, 5, 4), "toivokkaat"),
    ],
)
def test_suggestion_follows_the_concept(sliders, expected):
    assert suggest(Sliders(*sliders)).profile == expected
    assert suggest_code(*sliders) == expected


def test_every_answer_gives_a_profile_and_every_profile_can_come_up():
    seen = set()
    for values in itertools.product(range(1, 6), repeat=4):
        result = suggest(Sliders(*values))
        assert result.profile in PROFILES
        assert result.distances[result.profile] == min(result.distances.values())
        seen.add(result.profile)
    assert seen == set(PROFILES)


def test_prototype_points_suggest_themselves():
    for code, point in PROTOTYPES.items():
        rounded = Sliders(*(int(round(v + 0.01)) for v in point))
        assert suggest(rounded).profile == code, code


def test_suggestion_is_deterministic_and_names_the_runner_up():
    first = suggest(Sliders(3, 3, 3, 3))
    assert first == suggest(Sliders(3, 3, 3, 3))
    assert first.runner_up in PROFILES and first.runner_up != first.profile
    assert first.name == PROFILE_NAMES[first.profile]


def test_ties_go_to_the_earlier_profile(monkeypatch):
    import app.helpers.profile_fit as pf

    monkeypatch.setitem(pf.PROTOTYPES, "toivokkaat", pf.PROTOTYPES["vahaan_tyytyvat"])
    assert suggest(Sliders(*[round(v) for v in pf.PROTOTYPES["vahaan_tyytyvat"]])).profile == "vahaan_tyytyvat"


@pytest.mark.parametrize("bad", [0, 6, 2.5, "3", None, True])
def test_sliders_must_be_whole_numbers_one_to_five(bad):
    with pytest.raises(ValueError):
        Sliders(sociable=bad)


def test_names_are_the_concepts_own():
    assert PROFILE_NAMES == {
        "vahaan_tyytyvat": "Vähään tyytyvät",
        "arjen_pyorittajat": "Arjen pyörittäjät",
        "tulevaisuususkoiset": "Tulevaisuususkoiset",
        "toivokkaat": "Toivokkaat",
    }
