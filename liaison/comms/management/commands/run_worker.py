import signal
import threading

from django.core.management.base import BaseCommand, CommandError

from liaison.comms import services, worker

MIN_LEASE_SECONDS = 3


class Command(BaseCommand):
    help = "Deliver approved letters from the outbox and run the communications sweep."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running until stopped (SIGTERM or Ctrl-C).")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between passes (default 5).")
        parser.add_argument(
            "--lease-seconds",
            type=int,
            default=services.LEASE_SECONDS,
            help=f"How long a claim lasts unless the worker renews it (every third of it); default "
            f"{services.LEASE_SECONDS}, at least {MIN_LEASE_SECONDS}.",
        )

    def handle(self, *args, **options):
        if options["lease_seconds"] < MIN_LEASE_SECONDS:
            raise CommandError(f"--lease-seconds: {options['lease_seconds']} is below {MIN_LEASE_SECONDS}.")
        if not options["loop"]:
            result = worker.run_once(lease_seconds=options["lease_seconds"])
            swept = services.communications_sweep()
            self.stdout.write(f"delivered: {result or 'nothing due'}; sweep: {swept}")
            return
        stop = threading.Event()
        for sig in (signal.SIGTERM, signal.SIGINT):
            signal.signal(sig, lambda *_: (stop.set(), worker._wake.set()))
        self.stdout.write("comms worker running; SIGTERM stops it after the current letter.")
        worker.loop(stop=stop, interval=options["interval"], lease_seconds=options["lease_seconds"])
        self.stdout.write("comms worker stopped.")
