import signal
import threading

from django.core.management.base import BaseCommand

from liaison.comms import services, worker


class Command(BaseCommand):
    help = "Deliver approved letters from the outbox and run the communications sweep."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="Keep running until stopped (SIGTERM or Ctrl-C).")
        parser.add_argument("--interval", type=float, default=5.0, help="Seconds between passes (default 5).")
        parser.add_argument("--lease-seconds", type=int, default=services.LEASE_SECONDS, help="How long a claim lasts.")

    def handle(self, *args, **options):
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
