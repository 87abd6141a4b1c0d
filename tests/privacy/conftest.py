"""Privacy tests that involve referrals use the API test cast (two organisations with OAuth clients)."""

from tests.api.conftest import (  # noqa: F401
    fresh_cache,
    garden_service,
    greenfingers,
    make_referral,
    other_practice,
    referral_body,
    surgery,
)
