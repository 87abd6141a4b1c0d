"""The admin app with the project's own default site (config/admin_site.py),
so every app's `admin.site.register` lands on the site that requires two-step
sign-in."""

from django.contrib.admin.apps import AdminConfig as DjangoAdminConfig


class AdminConfig(DjangoAdminConfig):
    default_site = "config.admin_site.TimeCommonsAdminSite"
