#!/usr/bin/env python3
"""Django's command-line utility for TimeCommons.

It never assumes development: DEBUG comes only from the environment, so
without DEBUG=true (or a DJANGO_SETTINGS_MODULE naming other settings) it runs
with production settings and needs SECRET_KEY. `make run`, `make serve`,
`make migrate` and `make demo` pass DEBUG=true.
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from core.errors import ConfigurationError

    try:
        execute_from_command_line(sys.argv)
    except ConfigurationError as error:
        # A setting the operator must fix, named in the message: no traceback.
        sys.exit(f"manage.py: {error}")


if __name__ == "__main__":
    main()
