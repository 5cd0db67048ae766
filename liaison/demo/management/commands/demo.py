"""`liaison demo`: the whole app on a laptop, with a made-up network to look at.

Runs the migrations, loads the demo network into an empty database, prints who can sign in, and
serves the app (Django's own server, one process; WhiteNoise serves the static files), with the mail
catcher that keeps the letters it sends for the Sent mail page (liaison.demo.mailcatcher). Start
again from nothing with `--reset`, or by deleting the data folder (`rm -rf var/`).
"""

import os

from django.apps import apps
from django.conf import settings
from django.core.management import BaseCommand, CommandError, call_command

from liaison.demo import mailcatcher
from liaison.demo.network import DemoRefused, build_demo_network, demo_logins
from liaison.referrals.models import Referral


class Command(BaseCommand):
    help = "Load the demo network into an empty database, print the sign-ins and serve Liaison."

    def add_arguments(self, parser):
        parser.add_argument("--addr", default="127.0.0.1", help="Address to serve on (default 127.0.0.1).")
        parser.add_argument("--port", default="8000", help="Port to serve on (default 8000).")
        parser.add_argument("--no-serve", action="store_true", help="Load and print the sign-ins, then stop.")
        parser.add_argument("--reset", action="store_true", help="Empty the database and load the demo network afresh.")
        parser.add_argument("--seed", type=int, default=2026, help="Another seed gives another network.")

    def handle(self, *args, addr, port, no_serve, reset, seed, **options):
        if settings.MODE == "production":
            raise CommandError("The demo runs in demo mode: start it with `liaison demo` (LIAISON_MODE=demo).")
        self.stdout.write("Preparing the database…")
        call_command("migrate", interactive=False, verbosity=0)
        logins = self._load(reset=reset, seed=seed)
        self._print_logins(logins, url=f"http://{addr}:{port}/")
        if not no_serve:
            self._serve(addr=addr, port=port)

    def _load(self, *, reset: bool, seed: int) -> dict:
        if Referral.objects.exists() and not reset:
            self.stdout.write("The database already holds referrals; serving them as they are.")
            return demo_logins(referrals=Referral.objects.count())
        self.stdout.write("Loading the demo network (about a minute)…")
        try:
            return build_demo_network(seed=seed, reset=reset)
        except DemoRefused as exc:
            raise CommandError(str(exc)) from None

    def _print_logins(self, logins: dict, *, url: str) -> None:
        if not logins["logins"]:
            self.stdout.write(self.style.WARNING("No demo accounts in this database; sign in with your own."))
        else:
            self.stdout.write(f"\nSign in at {url} as any of these, password {logins['password']}:\n")
            for login in logins["logins"]:
                self.stdout.write(f"  {login['username']:<16} {login['role']:<34} {login['name']}")
        self.stdout.write(f"\n{logins['referrals']} referrals. Start afresh with --reset (or: rm -rf var/).\n")

    def _serve(self, *, addr: str, port: str) -> None:
        """Django's own server, without the reloader: one process, with the built-in background worker
        beside it (letters go out without Celery) where the communications app is installed, and the mail
        catcher that receives what it sends (unless EMAIL_HOST names a real server)."""
        use_site_url(addr, port)
        catcher = self._catch_mail(url=f"http://{addr}:{port}/")
        if apps.is_installed("liaison.comms"):
            from liaison.comms.worker import start_builtin_worker

            start_builtin_worker()
        self.stdout.write(f"Serving at http://{addr}:{port}/ (Ctrl-C to stop).")
        try:
            call_command("runserver", f"{addr}:{port}", use_reloader=False)
        finally:
            if catcher is not None:
                catcher.stop()

    def _catch_mail(self, *, url: str):
        """Letters by email and by the fax gateway go to the demo's own SMTP server on 127.0.0.1, which keeps
        them for the Sent mail page; with EMAIL_HOST set they go to that server instead."""
        if os.environ.get("EMAIL_HOST"):
            self.stdout.write(f"Letters by email go to {settings.EMAIL_HOST}:{settings.EMAIL_PORT} (EMAIL_HOST).")
            return None
        catcher = mailcatcher.start()
        mailcatcher.use(catcher)
        self.stdout.write(
            f"Letters by email and fax are caught on 127.0.0.1:{catcher.port}, not sent: read them at {url}demo/mail/"
        )
        return catcher


def use_site_url(addr: str, port: str) -> None:
    """Links in the demo's emails (a notice's "open it here") point at the address the demo serves on, unless the
    operator named one with LIAISON_SITE_URL."""
    if not os.environ.get("LIAISON_SITE_URL"):
        settings.SITE_URL = f"http://{addr}:{port}"
