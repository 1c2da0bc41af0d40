"""BlueKing ChatOps for Slack: operate BK-Job and BK-SOPS from chat."""

__version__ = "0.1.0"
