"""Builders for brokering scenarios: helpers placed at a known distance, checks, exchanges."""

import datetime

from django.utils import timezone

from tests.factories import ListingFactory, MemberFactory, category
from timebank.models import Availability, Exchange, ExchangeReceiver, SafeguardingCheck

HOME = (51.4563, -0.9855)
# great_circle's mean Earth radius: 1 degree of latitude = 111.195 km.
KM_PER_DEGREE_LAT = 111.195


def north_of_home(km: float) -> tuple[float, float]:
    return HOME[0] + km / KM_PER_DEGREE_LAT, HOME[1]


def member_at(name: str, *, km: float = 0.0, free=(), radius: int = 3, **extra):
    lat, lng = north_of_home(km)
    return MemberFactory(
        display_name=name,
        user__username=name.lower().replace(" ", "-"),
        latitude=lat,
        longitude=lng,
        travel_radius_km=radius,
        availability=Availability.from_slots(free),
        **extra,
    )


def offer(member, slug: str = "gardening", **extra):
    return ListingFactory(member=member, kind="offer", category=category(slug), **extra)


def request_for(member, slug: str = "gardening", where: str = "home", **extra):
    return ListingFactory(member=member, kind="request", category=category(slug), where=where, **extra)


def dbs_check(member, *, expires_in_days: int = 365, checked_days_ago: int = 30):
    today = timezone.localdate()
    return SafeguardingCheck.objects.create(
        member=member,
        kind="dbs-enhanced",
        reference_number="001234567890",
        checked_on=today - datetime.timedelta(days=checked_days_ago),
        expires_on=today + datetime.timedelta(days=expires_in_days),
    )


def reference_check(member):
    return SafeguardingCheck.objects.create(
        member=member, kind="reference", referee_name="A Neighbour", checked_on=timezone.localdate()
    )


def exchange(provider, receiver, *, status: str = "proposed", listing=None, **extra):
    made = Exchange.objects.create(
        timebank=provider.timebank, provider=provider, status=status, listing=listing, **extra
    )
    ExchangeReceiver.objects.create(exchange=made, member=receiver)
    return made
