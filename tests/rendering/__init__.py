"""Rendering tests: every template within Slack limits and valid Block Kit."""
