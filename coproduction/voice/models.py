"""Feedback, ideas and votes, and "You said, we did"."""

from django.db import models  # noqa: F401
