"""The project: settings, URLs, WSGI/ASGI entry points and the Celery app. No domain code."""

# Loaded with Django so that @shared_task binds to the project's Celery app.
from config.celery import app as celery_app

__all__ = ("celery_app",)
