"""The one geocoding entry point: postcodes, districts, places, lat,lng, bad input."""

from unittest import mock

import pytest
from hypothesis import given, settings as hsettings, strategies as st

from core.errors import InvalidInputError
from core.models import PostcodePoint
from core.places.geocoding import AmbiguousPlaceError, GeocodingError, distance_km, geocode

pytestmark = pytest.mark.django_db


def test_a_postcode_district_resolves_to_its_centroid():
    result = geocode("rg1")
    assert (result.kind, result.label, result.district) == ("district", "RG1", "RG1")
    assert result.lat == pytest.approx(51.4516, abs=0.001) and result.lng == pytest.approx(-0.9698, abs=0.001)


def test_a_full_postcode_without_the_unit_table_falls_back_to_its_district():
    result = geocode("rg1 7qe")
    assert result.kind == "district" and result.postcode == "RG1 7QE" and result.district == "RG1"
    assert result.point == geocode("RG1").point


def test_a_full_postcode_resolves_to_its_own_point_once_the_table_has_it():
    PostcodePoint.objects.create(postcode="RG1 7QE", latitude=51.4571, longitude=-0.9710)
    result = geocode("RG17QE")
    assert (result.kind, result.lat, result.lng, result.district) == ("postcode", 51.4571, -0.9710, "RG1")


def test_a_place_name_resolves_and_names_its_district():
    result = geocode("  reading ")
    assert result.kind == "place" and result.label == "Reading" and result.district.startswith("RG")


def test_lat_lng_is_accepted_and_checked():
    result = geocode("51.5438, -0.0661")
    assert result.kind == "latlng" and result.point == (51.5438, -0.0661) and result.district == "E8"
    with pytest.raises(GeocodingError) as error:
        geocode("95, 10")
    assert "latitude" in error.value.message


def test_an_unknown_postcode_gets_the_plain_message():
    with pytest.raises(GeocodingError) as error:
        geocode("XX9 9ZZ")
    assert error.value.message == (
        "We could not find 'XX9 9ZZ'. Try the first part of the postcode, like RG1, or a town name."
    )
    assert isinstance(error.value, InvalidInputError)


@pytest.mark.parametrize("text", ["", "   ", "12345", "a" * 101, "Read\x00ing", "zzzzqqq"])
def test_bad_input_is_a_geocoding_error_never_a_crash(text):
    with pytest.raises(GeocodingError):
        geocode(text)


def test_an_ambiguous_place_offers_choices_with_their_country_and_each_choice_resolves():
    with pytest.raises(AmbiguousPlaceError) as error:
        geocode("Newport")
    choices = error.value.choices
    assert len(choices) >= 2 and {c.admin1 for c in choices} >= {"WLS", "ENG"}
    assert "Wales" in choices[0].label
    picked = geocode(choices[1].query)
    assert picked.point == (choices[1].lat, choices[1].lng)


def test_a_country_narrows_an_ambiguous_place():
    with pytest.raises(AmbiguousPlaceError) as error:
        geocode("Newport, England")
    assert {c.admin1 for c in error.value.choices} == {"ENG"}


def test_answers_are_cached(django_assert_num_queries):
    PostcodePoint.objects.create(postcode="E8 1DY", latitude=51.5461, longitude=-0.0553)
    geocode("E8 1DY")
    with django_assert_num_queries(0):
        assert geocode("e8 1dy").kind == "postcode"


def test_a_named_online_geocoder_is_used_for_places_and_failures_fall_back_to_offline(settings):
    settings.GEOCODER = "nominatim"
    found = mock.Mock(latitude=51.546, longitude=-0.075)
    with mock.patch("geopy.geocoders.Nominatim.geocode", return_value=found) as call:
        result = geocode("Dalston Junction")
    assert result.source == "remote" and result.district == "E8"
    assert call.call_args.kwargs["exactly_one"] is True
    from geopy.exc import GeocoderTimedOut

    with mock.patch("geopy.geocoders.Nominatim.geocode", side_effect=GeocoderTimedOut("slow")):
        result = geocode("Reading")
    assert result.source == "offline" and result.label == "Reading"


def test_the_online_geocoder_is_built_with_bounded_timeouts(settings):
    from core.places.geocoding import _remote_geocoder

    settings.GEOCODER, settings.GEOCODER_TIMEOUT = "nominatim", (30, 60)
    assert _remote_geocoder().timeout == (3.0, 10.0)


def test_distance_is_great_circle_km():
    assert distance_km((51.4516, -0.9698), (51.5437, -0.0661)) == pytest.approx(63.4, abs=0.5)


@hsettings(max_examples=60, deadline=None)
@given(st.text(max_size=40))
def test_any_text_either_resolves_or_gives_a_plain_message(text):
    try:
        result = geocode(text)
    except GeocodingError as error:
        assert error.message
    else:
        assert -90 <= result.lat <= 90 and result.kind in {"postcode", "district", "place", "latlng"}


@hsettings(max_examples=200, deadline=None)
@given(
    st.floats(min_value=49, max_value=61),
    st.floats(min_value=-8, max_value=2),
    st.floats(min_value=49, max_value=61),
    st.floats(min_value=-8, max_value=2),
)
def test_the_fast_great_circle_used_by_search_equals_geopys(lat1, lng1, lat2, lng2):
    from core.places.geocoding import great_circle_km

    assert great_circle_km(lat1, lng1, lat2, lng2) == pytest.approx(distance_km((lat1, lng1), (lat2, lng2)), abs=1e-9)
