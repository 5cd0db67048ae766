"""The `liaison` console command: Django's management commands under our settings.

`liaison demo` serves the demo network; every other word is a management command
(`liaison migrate`, `liaison createsuperuser`, ...).
"""

import os
import sys


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "liaison.settings")
    if len(sys.argv) > 1 and sys.argv[1] == "demo":
        os.environ.setdefault("LIAISON_MODE", "demo")
    from django.core.management import execute_from_command_line

    execute_from_command_line(sys.argv)


if __name__ == "__main__":
    main()
