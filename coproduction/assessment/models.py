"""The co-production self-assessment."""

from django.db import models  # noqa: F401
