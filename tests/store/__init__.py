"""Store tests: every repository on a real SQLite file and the real PostgreSQL."""
