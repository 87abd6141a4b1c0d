#!/usr/bin/env python3
"""Django's command-line utility for TimeCommons.

It never assumes development: DEBUG comes only from the environment, so
without DEBUG=true (or a DJANGO_SETTINGS_MODULE naming other settings) it runs
with production settings. `make run`, `make serve`, `make migrate` and `make
demo` pass DEBUG=true. Without SECRET_KEY, commands run with a key made up for
the process, but `runserver` refuses to serve (config/serving.py).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    from django.core.management import execute_from_command_line

    from core.errors import ConfigurationError

    try:
        if sys.argv[1:2] == ["runserver"]:
            from config.serving import refuse_to_serve_without_a_secret

            refuse_to_serve_without_a_secret()
        execute_from_command_line(sys.argv)
    except ConfigurationError as error:
        # A setting the operator must fix, named in the message: no traceback.
        sys.exit(f"manage.py: {error}")


if __name__ == "__main__":
    main()
