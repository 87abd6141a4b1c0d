"""ASGI entry point."""

import os

from django.core.asgi import get_asgi_application

from config.serving import refuse_to_serve_without_a_secret

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
application = get_asgi_application()
refuse_to_serve_without_a_secret()
