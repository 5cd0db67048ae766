"""liaison app_role_grants ROLE: prints the SQL that the owner of Liaison's tables runs (after every migrate)
so that the application can sign in to PostgreSQL as ROLE, a role that owns nothing and may only read and add
to the audit trail (docs/operator-guide.md, "PostgreSQL roles")."""

from django.core.management import BaseCommand, CommandError

from liaison.core.append_only import app_role_grants


class Command(BaseCommand):
    help = "Prints the GRANT statements for the application's own PostgreSQL role (run them as the tables' owner)."

    def add_arguments(self, parser):
        parser.add_argument("role", help="The role the application signs in as, e.g. liaison_app.")

    def handle(self, *args, role, **options):
        try:
            statements = app_role_grants(role)
        except ValueError as problem:
            raise CommandError(str(problem)) from None
        for statement in statements:
            self.stdout.write(statement + ";")
