import contextlib

import pytest
from hypothesis import given, settings, strategies as st

from core.places.postcodes import PostcodeError, normalise_postcode, postcode_district


@pytest.mark.parametrize(
    "typed, expected",
    [
        ("rg1 7qe", "RG1 7QE"),
        ("RG17QE", "RG1 7QE"),
        (" rg1 ", "RG1"),
        ("EC1A 1BB", "EC1A 1BB"),
        ("e8", "E8"),
        ("W1A0AX", "W1A 0AX"),
    ],
)
def test_it_normalises_full_postcodes_and_districts(typed, expected):
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize("typed", ["", "hello", "RG1 7Q", "12345", "RG1 7QEE", "ZZZZ 1AA"])
def test_it_refuses_what_is_not_a_postcode_with_a_plain_message(typed):
    with pytest.raises(PostcodeError) as error:
        normalise_postcode(typed)
    assert "postcode" in error.value.message
    assert error.value.field == "postcode"


def test_district_is_the_outward_code():
    assert postcode_district("RG1 7QE") == "RG1"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=20))
def test_any_text_gives_a_postcode_or_a_postcode_error(text):
    with contextlib.suppress(PostcodeError):
        assert normalise_postcode(text).replace(" ", "").isalnum()
