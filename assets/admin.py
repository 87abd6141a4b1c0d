"""Admin for the directory: coordinators fix listings and organisations here too."""

from django import forms
from django.contrib import admin

from assets.models import (
    Capacity,
    Contact,
    FeedSource,
    Location,
    Organisation,
    OrganisationClaim,
    OrganisationMembership,
    ProblemReport,
    Schedule,
    Service,
    ServiceArea,
    ServiceAtLocation,
    ServiceAttribute,
    Taxonomy,
    TaxonomyTerm,
)
from assets.services import feed_url_problem


class MembershipInline(admin.TabularInline):
    model = OrganisationMembership
    extra = 0
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation_type", "email", "modified_at"]
    list_filter = ["organisation_type"]
    search_fields = ["name", "email"]
    inlines = [MembershipInline]


class ServiceAtLocationInline(admin.TabularInline):
    model = ServiceAtLocation
    extra = 0
    raw_id_fields = ["location"]


class ScheduleInline(admin.TabularInline):
    model = Schedule
    extra = 0
    exclude = ["service_at_location"]


class AttributeInline(admin.TabularInline):
    model = ServiceAttribute
    extra = 0


class AreaInline(admin.TabularInline):
    model = ServiceArea
    extra = 0


class ContactInline(admin.TabularInline):
    model = Contact
    extra = 0


class CapacityInline(admin.StackedInline):
    model = Capacity
    extra = 0


@admin.register(Service)
class ServiceAdmin(admin.ModelAdmin):
    list_display = ["name", "organisation", "status", "is_free", "last_reviewed"]
    list_filter = ["status", "is_free"]
    search_fields = ["name", "organisation__name"]
    list_select_related = ["organisation"]
    raw_id_fields = ["organisation"]
    inlines = [ServiceAtLocationInline, ScheduleInline, AttributeInline, AreaInline, ContactInline, CapacityInline]


@admin.register(Location)
class LocationAdmin(admin.ModelAdmin):
    list_display = ["name", "postcode", "latitude", "longitude", "location_type"]
    search_fields = ["name", "postcode", "address_1"]
    raw_id_fields = ["organisation"]


class TermInline(admin.TabularInline):
    model = TaxonomyTerm
    extra = 0
    fk_name = "taxonomy"
    exclude = ["parent"]


@admin.register(Taxonomy)
class TaxonomyAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "version"]
    inlines = [TermInline]


@admin.register(ProblemReport)
class ProblemReportAdmin(admin.ModelAdmin):
    list_display = ["service", "kind", "created_at", "resolved_at"]
    list_filter = ["kind"]
    raw_id_fields = ["service", "reporter", "resolved_by"]


@admin.register(OrganisationClaim)
class OrganisationClaimAdmin(admin.ModelAdmin):
    list_display = ["organisation", "user", "status", "created_at"]
    list_filter = ["status"]
    raw_id_fields = ["organisation", "service", "user", "decided_by"]


class FeedSourceAdminForm(forms.ModelForm):
    class Meta:
        model = FeedSource
        fields = ["name", "url", "schedule", "is_active"]

    def clean_url(self):
        # As on the coordinators' page: a web form never names a file on the server.
        url = self.cleaned_data["url"].strip()
        if problem := feed_url_problem(url):
            raise forms.ValidationError(problem)
        return url


@admin.register(FeedSource)
class FeedSourceAdmin(admin.ModelAdmin):
    """Coordinators manage feeds on their own page; here the last run's report is read-only,
    since only a run writes it."""

    form = FeedSourceAdminForm
    list_display = ["name", "url", "schedule", "is_active", "status", "last_finished_at"]
    list_filter = ["status", "schedule", "is_active"]
    search_fields = ["name", "url"]
    readonly_fields = [
        "version",
        "status",
        "run_requested_at",
        "last_started_at",
        "last_finished_at",
        "last_succeeded_at",
        "created_count",
        "updated_count",
        "unchanged_count",
        "skipped_count",
        "unplaced_count",
        "last_report",
        "last_error",
        "created_at",
    ]
