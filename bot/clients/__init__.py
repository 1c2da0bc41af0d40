"""Typed async clients for the BK-Job and BK-SOPS APIs; they know nothing of Slack."""
