import io

import pytest

from assets import demo
from assets.models import Location, OrganisationType, Service
from assets.selectors import asset_search, timebank_service

pytestmark = pytest.mark.django_db


def test_the_demo_seeds_40_plus_assets_idempotently_with_the_timebank_as_a_service(timebank):
    demo.seed(stdout=io.StringIO())
    counts = (Service.objects.count(), Location.objects.count())
    demo.seed(stdout=io.StringIO())
    assert (Service.objects.count(), Location.objects.count()) == counts and counts[0] >= 40
    service = timebank_service(timebank=timebank)
    assert service.organisation.organisation_type == OrganisationType.TIMEBANK
    assert asset_search(near="RG1 7QE", radius_km=2).count >= 10
    assert asset_search(near="E8", category="food").count >= 2
