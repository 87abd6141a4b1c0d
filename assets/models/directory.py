"""The directory: who runs what, where and when (HSDS 3.0 / Open Referral UK).

Organisation is every body the app knows: one that runs services, one that
refers people (GP practice, PCN, link-worker service), or both. Staff users
belong to exactly one organisation through OrganisationMembership.

Search narrows Locations through an indexed grid cell (a generated column
derived from latitude/longitude, so every write path, bulk ones included,
keeps it right), then the exact bounding box, then exact distance in Python.
Coordinates live on Location as plain floats; accessibility and access methods
are booleans so filters stay indexable on SQLite and PostgreSQL alike.
"""

import datetime
import math
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assets.models.taxonomy import TaxonomyTerm

# A listing not reviewed for this long "may be out of date" and ranks lower.
STALE_AFTER_DAYS = 365


class OrganisationType(models.TextChoices):
    VOLUNTARY = "voluntary", _("Voluntary or community group")
    GP_PRACTICE = "gp-practice", _("GP practice")
    PCN = "pcn", _("Primary care network")
    LINK_WORKER_SERVICE = "link-worker-service", _("Link-worker service")
    COUNCIL = "council", _("Council")
    NHS = "nhs", _("NHS service")
    BUSINESS = "business", _("Business or social enterprise")
    TIMEBANK = "timebank", _("Timebank")


class Organisation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=200)
    organisation_type = models.CharField(
        max_length=30, choices=OrganisationType.choices, default=OrganisationType.VOLUNTARY, db_index=True
    )
    description = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    website = models.URLField(blank=True)
    charity_number = models.CharField(max_length=20, blank=True)
    # Set for the organisation that is a timebank on this install.
    timebank = models.OneToOneField(
        "timebank.Timebank", null=True, blank=True, on_delete=models.SET_NULL, related_name="organisation"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def refers_people(self) -> bool:
        return self.organisation_type in (
            OrganisationType.GP_PRACTICE,
            OrganisationType.PCN,
            OrganisationType.LINK_WORKER_SERVICE,
        )


class MembershipRole(models.TextChoices):
    ORGANISER = "organiser", _("Group organiser")
    LINK_WORKER = "link-worker", _("Link worker")
    STAFF = "staff", _("Staff")


class OrganisationMembership(models.Model):
    """A staff user's one organisation, and what they do there."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="organisation_membership"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=MembershipRole.choices, default=MembershipRole.STAFF)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organisation__name", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} at {self.organisation} ({self.get_role_display()})"


class ServiceStatus(models.TextChoices):
    ACTIVE = "active", _("Running")
    INACTIVE = "inactive", _("Not running at the moment")
    DEFUNCT = "defunct", _("Closed for good")
    TEMPORARILY_CLOSED = "temporarily closed", _("Temporarily closed")


class Service(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="services")
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    url = models.URLField(blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)
    status = models.CharField(max_length=20, choices=ServiceStatus.choices, default=ServiceStatus.ACTIVE)
    alert = models.CharField(
        max_length=500, blank=True, help_text="A short notice shown at the top, like a holiday closure."
    )
    # Cost: free, or an amount with what it is for ("£2 per session, tea included").
    is_free = models.BooleanField(default=True)
    cost_amount = models.DecimalField(max_digits=8, decimal_places=2, null=True, blank=True)
    cost_description = models.CharField(max_length=300, blank=True)
    # Eligibility: an age range and who it is for (plain words plus terms).
    minimum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    maximum_age = models.PositiveSmallIntegerField(null=True, blank=True)
    eligibility_description = models.CharField(max_length=500, blank=True)
    # How to get there (HSDS has no field for these; they matter to link workers).
    accepts_self_referral = models.BooleanField(default=True)
    accepts_referrals = models.BooleanField(default=False)
    drop_in = models.BooleanField(default=False)
    by_appointment = models.BooleanField(default=False)
    taxonomy_terms = models.ManyToManyField(TaxonomyTerm, through="ServiceAttribute", related_name="services")
    last_reviewed = models.DateField(null=True, blank=True, db_index=True)
    # Where an imported service came from, and when it was last seen in that feed.
    source = models.ForeignKey(
        "assets.FeedSource", null=True, blank=True, on_delete=models.SET_NULL, related_name="services"
    )
    source_checked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    modified_at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(minimum_age__isnull=True)
                | models.Q(maximum_age__isnull=True)
                | models.Q(minimum_age__lte=models.F("maximum_age")),
                name="service_age_range_ordered",
            ),
            models.CheckConstraint(
                condition=models.Q(cost_amount__isnull=True) | models.Q(cost_amount__gte=0),
                name="service_cost_not_negative",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_stale(self) -> bool:
        return is_stale(self.last_reviewed)


def stale_before() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=STALE_AFTER_DAYS)


def is_stale(last_reviewed: datetime.date | None) -> bool:
    """Never reviewed, or not for 12 months: show "may be out of date"."""
    return last_reviewed is None or last_reviewed < stale_before()


class LinkType(models.TextChoices):
    CATEGORY = "category", _("What it offers")
    ELIGIBILITY = "eligibility", _("Who it is for")


class ServiceAttribute(models.Model):
    """A taxonomy term on a service (HSDS `attribute`): what it offers or who it is for."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="attributes")
    taxonomy_term = models.ForeignKey(TaxonomyTerm, on_delete=models.CASCADE, related_name="attributes")
    link_type = models.CharField(max_length=20, choices=LinkType.choices, default=LinkType.CATEGORY)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["service", "taxonomy_term", "link_type"], name="service_attribute_unique_term"
            ),
        ]
        indexes = [models.Index(fields=["taxonomy_term", "service"], name="service_attribute_term_idx")]


class Capacity(models.Model):
    """Places left and whether a waiting list is open, kept by the organiser."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.OneToOneField(Service, on_delete=models.CASCADE, related_name="capacity")
    places_available = models.PositiveIntegerField(null=True, blank=True)
    waitlist_open = models.BooleanField(default=False)
    waitlist_length = models.PositiveIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name_plural = "capacities"


class Contact(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="contacts")
    name = models.CharField(max_length=200, blank=True)
    title = models.CharField(max_length=200, blank=True)
    email = models.EmailField(blank=True)
    phone = models.CharField(max_length=40, blank=True)

    class Meta:
        ordering = ["name"]


class LocationType(models.TextChoices):
    PHYSICAL = "physical", _("A place you can go")
    POSTAL = "postal", _("Postal address only")
    VIRTUAL = "virtual", _("Online or by phone")


# (field name, what people call it): the accessibility needs a search can ask for.
ACCESSIBILITY_FEATURES = [
    ("step_free_access", "Step-free access"),
    ("accessible_toilet", "Accessible toilet"),
    ("hearing_loop", "Hearing loop"),
    ("bsl", "British Sign Language"),
    ("easy_read", "Easy read information"),
    ("quiet_space", "Quiet space"),
    ("parking", "Parking"),
]
# The same words for the pages, in the page's language (the Open Referral feeds
# and imports keep the English above).
ACCESSIBILITY_LABELS = {
    "step_free_access": _("Step-free access"),
    "accessible_toilet": _("Accessible toilet"),
    "hearing_loop": _("Hearing loop"),
    "bsl": _("British Sign Language"),
    "easy_read": _("Easy read information"),
    "quiet_space": _("Quiet space"),
    "parking": _("Parking"),
}
ACCESSIBILITY_CHOICES = [(name, ACCESSIBILITY_LABELS[name]) for name, _label in ACCESSIBILITY_FEATURES]


# The search grid: cells of 1/20 degree (0.05°: about 5.6 km north-south and 3.5 km
# east-west in Britain), numbered row * GRID_ROW + column so that one integer column
# with one index finds the few cells a search box covers.
GRID_CELLS_PER_DEGREE = 20
GRID_ROW = 10_000


class FloorToInteger(models.Func):
    """floor(x) as an integer, identical on PostgreSQL and SQLite (SQLite builds
    without math functions have no FLOOR, and CAST there truncates toward zero)."""

    arity = 1
    output_field = models.IntegerField()
    template = "CAST(FLOOR(%(expressions)s) AS INTEGER)"

    def as_sqlite(self, compiler, connection, **extra_context):
        sql, params = compiler.compile(self.source_expressions[0])
        # Truncate, then step down by one where truncation rounded a negative value up.
        return f"(CAST(({sql}) AS INTEGER) - (({sql}) < CAST(({sql}) AS INTEGER)))", (*params, *params, *params)


def grid_cell_field() -> models.GeneratedField:
    """A model's grid cell, stored and computed by the database from its own latitude
    and longitude columns (null without both), so every write path keeps it right."""
    return models.GeneratedField(
        expression=FloorToInteger(models.F("latitude") * GRID_CELLS_PER_DEGREE) * GRID_ROW
        + FloorToInteger(models.F("longitude") * GRID_CELLS_PER_DEGREE),
        output_field=models.IntegerField(null=True),
        db_persist=True,
    )


def grid_cell_for(latitude: float, longitude: float) -> int:
    """The grid cell of a point: the same number the database stores in Location.grid_cell."""
    return math.floor(latitude * GRID_CELLS_PER_DEGREE) * GRID_ROW + math.floor(longitude * GRID_CELLS_PER_DEGREE)


def grid_cells_covering(lat_min: float, lat_max: float, lng_min: float, lng_max: float) -> list[int]:
    """Every grid cell that a latitude/longitude box touches."""
    columns = range(math.floor(lng_min * GRID_CELLS_PER_DEGREE), math.floor(lng_max * GRID_CELLS_PER_DEGREE) + 1)
    return [
        row * GRID_ROW + column
        for row in range(math.floor(lat_min * GRID_CELLS_PER_DEGREE), math.floor(lat_max * GRID_CELLS_PER_DEGREE) + 1)
        for column in columns
    ]


class PlacedBy(models.TextChoices):
    GIVEN = "", _("Given with the place")
    POSTCODE = "postcode", _("Found from its postcode")
    DISTRICT = "district", _("Centre of its postcode district")


class Location(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.SET_NULL, related_name="locations"
    )
    location_type = models.CharField(max_length=20, choices=LocationType.choices, default=LocationType.PHYSICAL)
    name = models.CharField(max_length=200, blank=True)
    description = models.TextField(blank=True)
    address_1 = models.CharField(max_length=200, blank=True)
    address_2 = models.CharField(max_length=200, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    postcode = models.CharField(max_length=8, blank=True)
    latitude = models.FloatField(null=True, blank=True)
    longitude = models.FloatField(null=True, blank=True)
    # How the point was found: given with the place, or looked up from its postcode
    # (exactly, or only to the centre of its postcode district: 1-2 km off).
    placed_by = models.CharField(
        max_length=10, choices=PlacedBy.choices, default=PlacedBy.GIVEN, db_default=PlacedBy.GIVEN, blank=True
    )
    # Derived by the database from latitude/longitude (see grid_cell_for); null without both.
    grid_cell = grid_cell_field()
    step_free_access = models.BooleanField(default=False)
    accessible_toilet = models.BooleanField(default=False)
    hearing_loop = models.BooleanField(default=False)
    bsl = models.BooleanField(default=False)
    easy_read = models.BooleanField(default=False)
    quiet_space = models.BooleanField(default=False)
    parking = models.BooleanField(default=False)
    accessibility_description = models.TextField(blank=True)
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        # Search reads cell IN (...) with the latitude range on the same index; longitude
        # and id ride along so the box is checked and the join made without the table row.
        indexes = [
            models.Index(fields=["grid_cell", "latitude", "longitude", "id"], name="location_grid_cell_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(latitude__isnull=True) | models.Q(latitude__gte=-90, latitude__lte=90),
                name="location_latitude_range",
            ),
            models.CheckConstraint(
                condition=models.Q(longitude__isnull=True) | models.Q(longitude__gte=-180, longitude__lte=180),
                name="location_longitude_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name or self.address_1 or str(self.id)

    @property
    def accessibility_labels(self) -> list[str]:
        return accessibility_labels({field: getattr(self, field) for field, _ in ACCESSIBILITY_FEATURES})

    @property
    def one_line_address(self) -> str:
        return one_line_address(self.address_1, self.address_2, self.city, self.postcode)


def accessibility_labels(flags: dict[str, bool]) -> list[str]:
    """What people call the features a location has, given its flags by field name."""
    return [str(ACCESSIBILITY_LABELS[field]) for field, _label in ACCESSIBILITY_FEATURES if flags.get(field)]


def one_line_address(*parts: str) -> str:
    return ", ".join(part for part in parts if part)


class ServiceAtLocation(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_at_locations")
    # Indexed by location_service_idx below (location first), not by a second index of its own.
    location = models.ForeignKey(
        Location, on_delete=models.CASCADE, related_name="service_at_locations", db_index=False
    )
    modified_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["service", "location"], name="service_at_location_unique_pair"),
        ]
        # Search goes from each location in the box to its services and their categories:
        # with service and id in the index that step never reads the table.
        indexes = [models.Index(fields=["location", "service", "id"], name="sal_location_service_idx")]


class ServiceArea(models.Model):
    """A postcode district ("RG1") or area ("RG") a service covers (the ALISS rule:
    a service with areas matches only searches inside one of them)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="service_areas")
    name = models.CharField(max_length=200, blank=True)
    postcode_prefix = models.CharField(max_length=4)

    class Meta:
        ordering = ["postcode_prefix"]
        constraints = [
            models.UniqueConstraint(fields=["service", "postcode_prefix"], name="service_area_unique_prefix"),
        ]


class ScheduleFrequency(models.TextChoices):
    WEEKLY = "WEEKLY", _("Every week")
    MONTHLY = "MONTHLY", _("Every month")


# iCalendar day codes, as HSDS `byday` uses them.
DAY_CODES = [
    ("MO", "Monday"),
    ("TU", "Tuesday"),
    ("WE", "Wednesday"),
    ("TH", "Thursday"),
    ("FR", "Friday"),
    ("SA", "Saturday"),
    ("SU", "Sunday"),
]
# The day names for the pages, in the page's language (searches by name read DAY_CODES).
DAY_NAMES = {
    "MO": _("Monday"),
    "TU": _("Tuesday"),
    "WE": _("Wednesday"),
    "TH": _("Thursday"),
    "FR": _("Friday"),
    "SA": _("Saturday"),
    "SU": _("Sunday"),
}
DAY_CHOICES = [(code, DAY_NAMES[code]) for code, _name in DAY_CODES]


class Schedule(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    service = models.ForeignKey(Service, on_delete=models.CASCADE, related_name="schedules")
    service_at_location = models.ForeignKey(
        ServiceAtLocation, null=True, blank=True, on_delete=models.CASCADE, related_name="schedules"
    )
    freq = models.CharField(max_length=10, choices=ScheduleFrequency.choices, default=ScheduleFrequency.WEEKLY)
    interval = models.PositiveSmallIntegerField(default=1)
    # Comma-separated day codes ("MO,TH"); monthly ones may carry an ordinal ("1TU").
    byday = models.CharField(max_length=40, blank=True)
    bymonthday = models.CharField(max_length=40, blank=True)
    opens_at = models.TimeField(null=True, blank=True)
    closes_at = models.TimeField(null=True, blank=True)
    valid_from = models.DateField(null=True, blank=True)
    valid_to = models.DateField(null=True, blank=True)
    description = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["byday", "opens_at"]

    @property
    def days_display(self) -> str:
        days = []
        for code in filter(None, self.byday.split(",")):
            ordinal, day = code[:-2], code[-2:]
            name = str(DAY_NAMES.get(day, day))
            if ordinal:
                pattern = _ORDINALS.get(ordinal)
                name = str(pattern) % {"day": name} if pattern else f"{ordinal} {name}"
            days.append(name)
        return ", ".join(days)


# "First Monday of the month": a whole phrase for each ordinal.
_ORDINALS = {
    "1": _("First %(day)s of the month"),
    "2": _("Second %(day)s of the month"),
    "3": _("Third %(day)s of the month"),
    "4": _("Fourth %(day)s of the month"),
    "-1": _("Last %(day)s of the month"),
}
