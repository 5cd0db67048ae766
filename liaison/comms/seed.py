"""The seeded protocol, for tests and tools that start from an empty table (transactional tests flush it)."""

import importlib

from django.apps import apps


def seed_protocol() -> None:
    """Load the protocol of PRODUCT §3 if missing (get-or-create: safe to run again)."""
    importlib.import_module("liaison.comms.migrations.0002_seed_protocol_and_freeze").seed(apps, None)
