"""Contract tests: the reference examples against the client models and the sandbox."""
