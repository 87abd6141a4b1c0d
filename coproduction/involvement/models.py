"""Opportunities to take part, attendance credited in hours, and expenses."""

from django.db import models  # noqa: F401
