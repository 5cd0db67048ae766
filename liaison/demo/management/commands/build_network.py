"""`liaison build_network`: a large made-up network for the benchmarks (see bench/README.md).

    LIAISON_MODE=demo DATABASE_URL=postgres://postgres@127.0.0.1:5432/liaison_bench \\
        liaison build_network --referrals 1000000 --referrers 10000

Rows are streamed with COPY on PostgreSQL (bulk inserts on SQLite, for small sizes). Refuses a
database that already holds referrals unless --reset, and refuses production altogether.
"""

from django.core.management import BaseCommand, CommandError, call_command

from liaison.demo.network import DemoRefused, build_large_network


class Command(BaseCommand):
    help = "Build a large made-up referral network (for benchmarks) in an empty database."

    def add_arguments(self, parser):
        parser.add_argument("--referrals", type=int, default=1000, help="How many referrals (default 1,000).")
        parser.add_argument("--referrers", type=int, default=None, help="How many referrers (default 1 per 100).")
        parser.add_argument(
            "--open", dest="open_referrals", type=int, default=None, help="How many still open (default 5%%)."
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--reset", action="store_true", help="Empty the database first.")
        parser.add_argument("--no-migrate", action="store_true", help="Skip running the migrations first.")

    def handle(self, *args, referrals, referrers, open_referrals, seed, reset, no_migrate, **options):
        if referrals < 0:
            raise CommandError("--referrals cannot be negative.")
        if not no_migrate:
            call_command("migrate", interactive=False, verbosity=0)
        try:
            result = build_large_network(
                referrals=referrals,
                referrers=referrers or max(10, referrals // 100),
                open_referrals=open_referrals,
                seed=seed,
                reset=reset,
                log=self.stdout.write,
            )
        except (DemoRefused, ValueError) as exc:
            raise CommandError(str(exc)) from None
        rows = ", ".join(f"{count:,} {name.split('.')[-1]}" for name, count in result["rows"].items())
        self.stdout.write(self.style.SUCCESS(f"Loaded {rows}."))
