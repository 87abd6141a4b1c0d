"""The public notices linked from every page's footer (privacy.notices): no login needed."""

from django.urls import path

from privacy import notices

app_name = "notices"

urlpatterns = [
    path("accessibility/", notices.accessibility_statement, name="accessibility"),
    path("privacy/", notices.privacy_notice, name="privacy"),
    path("cookies/", notices.cookies, name="cookies"),
    path("contact/", notices.contact, name="contact"),
]
