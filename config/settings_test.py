"""Settings for the test suite: the real settings with test-only switches."""

import os

os.environ["TIMECOMMONS_TESTING"] = "1"
os.environ.setdefault("DEBUG", "false")

from config.settings import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
CELERY_TASK_ALWAYS_EAGER = True
