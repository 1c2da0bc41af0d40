"""Command tests: text → dispatcher → handler → reply, against the sandbox."""
