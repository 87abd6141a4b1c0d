"""factory_boy factories for the directory."""

import datetime

import factory
from django.utils import timezone

from assets.models import (
    Location,
    Organisation,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceAttribute,
    TaxonomyTerm,
)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Group {n}")
    organisation_type = "voluntary"
    description = "A local group."


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Service {n}")
    description = "Friendly people, tea and a chat."
    last_reviewed = factory.LazyFunction(lambda: timezone.localdate() - datetime.timedelta(days=30))


class LocationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Location

    name = factory.Sequence(lambda n: f"Hall {n}")
    address_1 = "1 Church Street"
    city = "Reading"
    postcode = "RG1 7QE"
    latitude = 51.4516
    longitude = -0.9698


def service_at(lat: float, lng: float, *, categories=(), areas=(), days=(), **service_fields) -> Service:
    """A service with one location at (lat, lng), optional category slugs, areas and days."""
    service = ServiceFactory(**service_fields)
    location = LocationFactory(latitude=lat, longitude=lng)
    ServiceAtLocation.objects.create(service=service, location=location)
    for slug in categories:
        ServiceAttribute.objects.create(service=service, taxonomy_term=TaxonomyTerm.objects.get(slug=slug))
    for prefix in areas:
        ServiceArea.objects.create(service=service, postcode_prefix=prefix)
    for day in days:
        Schedule.objects.create(service=service, byday=day, opens_at=datetime.time(10), closes_at=datetime.time(12))
    return service
