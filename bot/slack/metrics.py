"""Prometheus metrics of the Slack adapter: commands, ack latency, Slack API errors, live cards."""

from __future__ import annotations

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.exposition import generate_latest

__all__ = ["CONTENT_TYPE", "Metrics"]

CONTENT_TYPE = CONTENT_TYPE_LATEST

# Slack gives 3 s for an ack (reference §2.2); the interesting range is well below that.
_ACK_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 3.0, 5.0)
# Commands wait on BlueKing; some reads take seconds.
_COMMAND_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)


class Metrics:
    """The adapter's metrics in their own registry (several bots may live in one test process)."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self.registry = registry or CollectorRegistry(auto_describe=True)
        self.commands = Counter(
            "bkbot_commands",
            "Commands run from Slack, by command name, outcome and surface",
            ["command", "outcome", "source"],
            registry=self.registry,
        )
        self.command_seconds = Histogram(
            "bkbot_command_duration_seconds",
            "Time from ack to the command's reply being ready (BlueKing calls included)",
            ["source"],
            buckets=_COMMAND_BUCKETS,
            registry=self.registry,
        )
        self.ack_seconds = Histogram(
            "bkbot_slack_ack_seconds",
            "Time from a verified Slack request to its ack()",
            ["kind"],
            buckets=_ACK_BUCKETS,
            registry=self.registry,
        )
        self.slack_errors = Counter(
            "bkbot_slack_api_errors",
            "Slack Web API calls that failed, by method and Slack error code",
            ["method", "error"],
            registry=self.registry,
        )
        self.slack_ratelimited = Counter(
            "bkbot_slack_ratelimited",
            "HTTP 429 answers from Slack (each is retried after Retry-After), by method",
            ["method"],
            registry=self.registry,
        )
        self.notifier_posts = Counter(
            "bkbot_notifier_posts",
            "Posts in run threads, by outcome: sent, retry (rescheduled), busy (left queued), "
            "undeliverable",
            ["outcome"],
            registry=self.registry,
        )
        self.notifier_uploads = Counter(
            "bkbot_notifier_uploads",
            "Log files uploaded into run threads, by outcome: sent, failed",
            ["outcome"],
            registry=self.registry,
        )
        self.notifier_card_edits = Counter(
            "bkbot_notifier_card_edits",
            "Run card edits (chat.update), by outcome: sent, coalesced, retried, dropped",
            ["outcome"],
            registry=self.registry,
        )
        self.notifier_queued_edits = Gauge(
            "bkbot_notifier_queued_edits",
            "Run card edits waiting for their turn (one per card: newer states replace older)",
            registry=self.registry,
        )

    def exposition(self) -> bytes:
        """The text format served on ``GET /metrics``."""
        return generate_latest(self.registry)
