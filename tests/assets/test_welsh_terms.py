"""The social-prescribing taxonomy has Welsh names (issue 18): the directory's
pages show them to people reading in Cymraeg, English otherwise, and the Open
Referral feed keeps the English names it has always published."""

import re
from html import unescape

import pytest
from django.utils import translation

from assets.models import TaxonomyTerm
from tests.assets.factories import service_at

pytestmark = pytest.mark.django_db

READING = (51.4600, -0.9700)


def text_of(html: str) -> str:
    main = html[html.index("<main") : html.index("</main>")] if "<main" in html else html
    main = re.sub(r"<script.*?</script>", " ", main, flags=re.S)
    return " ".join(unescape(re.sub(r"<[^>]+>", " ", main)).split())


@pytest.fixture
def walk(db):
    return service_at(*READING, name="Thames walk", categories=["physical-activity", "older-people"])


def test_every_shipped_term_has_a_welsh_name():
    terms = TaxonomyTerm.objects.filter(taxonomy__slug="timecommons-social-prescribing")
    assert terms.count() == 17
    assert not terms.filter(name_cy="").exists()
    assert terms.get(code="older-people").name_cy == "Pobl hŷn"


def test_a_term_label_follows_the_language_of_the_page():
    term = TaxonomyTerm.objects.get(slug="physical-activity")
    assert term.label == "Physical activity"
    with translation.override("cy"):
        assert term.label == "Gweithgarwch corfforol"
    with translation.override("en-gb"):
        assert term.label == "Physical activity"
    term.name_cy = ""
    with translation.override("cy"):
        assert term.label == "Physical activity"  # no Welsh: the English is shown


def test_the_directory_shows_welsh_term_names_with_the_language_cookie(client, walk):
    client.cookies["timecommons_language"] = "cy"
    results = text_of(client.get("/directory/", {"near": "RG1", "radius": "5"}).content.decode())
    assert "Gweithgarwch corfforol" in results and "Pobl hŷn" in results
    assert "Physical activity" not in results
    page = client.get(f"/directory/services/{walk.id}/").content.decode()
    assert 'lang="cy"' in page
    assert "Gweithgarwch corfforol" in text_of(page) and "Physical activity" not in text_of(page)
    # The search form's "What kind of thing" choices are in Welsh too.
    form = client.get("/directory/").content.decode()
    assert re.search(r'<option value="physical-activity"[^>]*>Gweithgarwch corfforol</option>', form)


def test_the_directory_shows_english_term_names_otherwise(client, walk):
    results = text_of(client.get("/directory/", {"near": "RG1", "radius": "5"}).content.decode())
    assert "Physical activity" in results and "Older people" in results
    assert "Gweithgarwch corfforol" not in results
    page = text_of(client.get(f"/directory/services/{walk.id}/").content.decode())
    assert "Physical activity" in page and "Gweithgarwch corfforol" not in page


def test_the_open_referral_feed_keeps_the_english_names(client, walk):
    client.cookies["timecommons_language"] = "cy"
    response = client.get("/openreferral/taxonomy_terms", {"per_page": 100})
    names = {term["name"] for term in response.json()["contents"]}
    assert "Physical activity" in names and "Gweithgarwch corfforol" not in names
    service = client.get(f"/openreferral/services/{walk.id}").content.decode()
    assert "Physical activity" in service and "Gweithgarwch corfforol" not in service
