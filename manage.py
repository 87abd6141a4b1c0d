#!/usr/bin/env python3
"""Django's command-line utility for TimeCommons."""
import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    # manage.py on a developer's machine means development settings; the web
    # processes (wsgi/asgi) default to production, and production deployments
    # set DEBUG=false explicitly for their management commands (.env.example).
    os.environ.setdefault("DEBUG", "true")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
