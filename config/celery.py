"""The Celery app for production background work (webhooks, e-mail).

Start a worker with `celery -A config worker` when CELERY_BROKER_URL is set;
without a broker the code paths that would queue a task run inline instead.
Periodic jobs (reminders, digests) are management commands run by cron or
Celery beat: see the README.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("timecommons")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks(["referrals", "assets"])
