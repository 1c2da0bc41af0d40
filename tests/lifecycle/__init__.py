"""Lifecycles end to end: client → sandbox, driven by the sandbox clock."""
