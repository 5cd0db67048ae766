"""Conditions written into the SQL with their constants, as a partial index's own predicate is (decision 0026).

Liaison prepares statements on PostgreSQL (settings: psycopg's prepare_threshold). After a few runs PostgreSQL may
keep one generic plan for a prepared statement, planned without the parameters' values. A partial index can only
serve a query whose WHERE provably implies the index's predicate; `status IN ($1, $2)` proves nothing, so the
generic plan walks another index over the whole history (2.3 s at 1M letters, against 28 ms). `Inlined(q)` puts
q's values into the SQL as literals, quoted by Django's schema editor exactly as the migration quoted the
index's condition, so every plan, generic or custom, sees `status IN ('owed', 'drafted')`.

Only for the small, fixed conditions that name an index's predicate (choices, the empty string), never for a
user's input: those stay parameters.
"""

from django.db.models import BooleanField, Expression, Q

from liaison.comms.choices import DueStatus, LetterType

PENDING_DUE = Q(status__in=[DueStatus.OWED.value, DueStatus.DRAFTED.value])
ACTIVE_DUE = Q(status__in=[DueStatus.OWED.value, DueStatus.DRAFTED.value, DueStatus.APPROVED.value])
HAS_PROBLEM = ~Q(problem="")
PROBLEM_DUE = ACTIVE_DUE & HAS_PROBLEM
# Acknowledgments delivered: the letters-on-time page's medians read them from their own index (decision 0033).
DELIVERED_ACK = Q(letter_type=LetterType.ACKNOWLEDGMENT.value, status=DueStatus.DELIVERED.value)


class Inlined(Expression):
    """A Q whose values are written into the SQL (as Index.condition writes them), not sent as parameters."""

    conditional = True
    output_field = BooleanField()

    def __init__(self, condition: Q):
        super().__init__(output_field=BooleanField())
        self.condition = condition

    def __repr__(self) -> str:
        return f"Inlined({self.condition!r})"

    def get_source_expressions(self):
        return [self.condition]

    def set_source_expressions(self, exprs):
        (self.condition,) = exprs

    def resolve_expression(self, query=None, allow_joins=True, reuse=None, summarize=False, for_save=False):
        clone = self.copy()
        clone.condition = self.condition.resolve_expression(query, allow_joins, reuse, summarize, for_save)
        return clone

    def as_sql(self, compiler, connection):
        sql, params = compiler.compile(self.condition)
        if not params:
            return sql, []
        return sql % tuple(_quoted(connection, p) for p in params), []


_QUOTED: dict[tuple, str] = {}  # (database, type, value) -> literal: a handful of constants, quoted once


def _quoted(connection, value) -> str:
    key = (connection.vendor, type(value), value)
    if key not in _QUOTED:
        connection.ensure_connection()  # PostgreSQL's quoting asks the live connection
        _QUOTED[key] = connection.SchemaEditorClass(connection).quote_value(value)
    return _QUOTED[key]
