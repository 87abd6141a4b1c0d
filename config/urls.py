"""Top-level URL configuration: the admin, health checks, the API, the Open
Referral UK feed, and each app's pages from its own urls module."""

from django.contrib import admin
from django.urls import include, path

from core.health import health, ready

urlpatterns = [
    path("admin/", admin.site.urls),
    # Answered by core.health.HealthCheckMiddleware before these are reached; named here for reverse().
    path("health/", health, name="health"),
    path("health/ready/", ready, name="health-ready"),
    path("o/", include("api.oauth_urls")),  # OAuth2 token endpoint for API clients
    path("api/", include("api.urls")),
    path("openreferral/", include("api.openreferral.urls")),
    path("fhir/R4/", include("api.fhir.urls")),  # FHIR R4 for GP and link-worker systems (docs/fhir.md)
    # Server-rendered pages.
    path("", include("timebank.urls")),  # home, joining, my hours, listings, exchanges, coordinator members
    path("", include("brokering.urls")),  # workbench, safeguarding, reports
    path("", include("privacy.urls")),  # a member's data: download, erase
    path("", include("privacy.notice_urls")),  # accessibility, privacy notice, cookies, contact
    path("", include("assets.urls")),  # directory, map, service pages
    path("", include("referrals.urls")),  # link worker and organiser referral pages
    path("", include("coproduction.involvement.urls")),  # opportunities to take part, attendance, expenses
    path("", include("coproduction.voice.urls")),  # feedback, ideas and votes, "You said, we did"
    path("", include("coproduction.assessment.urls")),  # the co-production self-assessment
]

# Unknown /api/ addresses answer in the API's JSON error shape, pages in HTML.
handler404 = "api.errors.not_found"
# A database that cannot be reached is a 503 (JSON for programs), never a bare 500.
handler500 = "api.unavailable.server_error"
