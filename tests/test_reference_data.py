"""The shipped geography and bands: the fixed public lists every answer is coded against."""

import json
import re

from surveys import reference

#: LGAs per state as set out in the First Schedule of the 1999 Constitution (774 in all).
CONSTITUTIONAL_LGA_COUNTS = {
    "NG-AB": 17, "NG-AD": 21, "NG-AK": 31, "NG-AN": 21, "NG-BA": 20, "NG-BY": 8, "NG-BE": 23,
    "NG-BO": 27, "NG-CR": 18, "NG-DE": 25, "NG-EB": 13, "NG-ED": 18, "NG-EK": 16, "NG-EN": 17,
    "NG-FC": 6, "NG-GO": 11, "NG-IM": 27, "NG-JI": 27, "NG-KD": 23, "NG-KN": 44, "NG-KT": 34,
    "NG-KE": 21, "NG-KO": 21, "NG-KW": 16, "NG-LA": 20, "NG-NA": 13, "NG-NI": 25, "NG-OG": 20,
    "NG-ON": 18, "NG-OS": 30, "NG-OY": 33, "NG-PL": 17, "NG-RI": 23, "NG-SO": 23, "NG-TA": 16,
    "NG-YO": 17, "NG-ZA": 14,
}  # fmt: skip


def test_there_are_36_states_and_the_fct():
    states = reference.geography().states
    assert len(states) == 37
    assert states["NG-FC"].name == "Federal Capital Territory"
    assert states["NG-LA"].name == "Lagos"
    assert all(re.fullmatch(r"NG-[A-Z]{2}", code) for code in states)


def test_there_are_774_lgas_with_the_constitutional_count_per_state():
    geography = reference.geography()
    assert len(geography.lgas) == 774
    counts = {code: len(lgas) for code, lgas in geography.lgas_by_state.items()}
    assert counts == CONSTITUTIONAL_LGA_COUNTS
    assert sum(CONSTITUTIONAL_LGA_COUNTS.values()) == 774


def test_lga_codes_are_the_state_code_and_a_two_digit_number_in_order():
    for state_code, lgas in reference.geography().lgas_by_state.items():
        assert [lga.code for lga in lgas] == [
            f"{state_code}-{n:02d}" for n in range(1, len(lgas) + 1)
        ]
        assert all(lga.state_code == state_code for lga in lgas)
    assert reference.geography().lgas["NG-LA-01"].name == "Agege"


def test_every_state_is_in_one_of_the_six_zones():
    geography = reference.geography()
    assert geography.zones == (
        "North Central", "North East", "North West", "South East", "South South", "South West",
    )  # fmt: skip
    assert geography.states["NG-KN"].zone == "North West"
    assert geography.states["NG-FC"].zone == "North Central"


def test_the_browser_list_gives_each_lga_its_code_by_position(client):
    """survey.js builds `<state>-<nn>` from the position in /lgas.json (keyed without "NG-"):
    the two must agree."""
    names = json.loads(client.get("/lgas.json").data)
    assert {f"NG-{key}" for key in names} == set(reference.geography().states)
    for key, joined in names.items():
        state_code = f"NG-{key}"
        for position, name in enumerate(joined.split("|"), start=1):
            assert reference.geography().lgas[f"{state_code}-{position:02d}"].name == name


def test_bands_have_stable_codes_and_prefer_not_to_say_is_separate():
    assert list(reference.AGE_BANDS) == [
        "under_18", "age_18_24", "age_25_34", "age_35_44", "age_45_54", "age_55_64", "age_65_plus",
    ]  # fmt: skip
    assert reference.INCOME_BANDS["income_70k_150k"] == "₦70,000 – ₦149,999"
    assert len(reference.INCOME_BANDS) == 6
    assert list(reference.GENDERS) == ["female", "male", "another_gender"]
    for bands in (reference.AGE_BANDS, reference.INCOME_BANDS, reference.GENDERS):
        assert reference.PREFER_NOT_TO_SAY not in bands
