import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def fresh_geocoding_cache():
    """Geocoding answers are cached; each test starts without another test's answers."""
    cache.clear()
    yield
    cache.clear()
