"""Alembic migrations of the store, applied at start by ``Database.migrate``."""
