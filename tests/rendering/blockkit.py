"""Checks shared by template tests: valid Block Kit (slack_sdk models) within Slack's limits."""

from __future__ import annotations

from slack_sdk.models.blocks import Block

from bot.rendering import MAX_BLOCKS_MESSAGE, Renderer
from bot.views import View


def assert_valid_blocks(blocks: list[dict[str, object]], limit: int = MAX_BLOCKS_MESSAGE) -> None:
    """Every block parses and validates with slack_sdk; the count is within the limit."""
    assert 0 < len(blocks) <= limit
    for raw in blocks:
        block = Block.parse(raw)
        assert block is not None, raw
        block.validate_json()  # raises SlackObjectFormationError past a limit
        assert block.to_dict() == raw or raw.get("type") in {"section", "context", "actions"}


def render_both(renderer: Renderer, view: View) -> tuple[list[dict[str, object]], str]:
    """Blocks (validated) and text of ``view``."""
    blocks = renderer.blocks(view)
    assert_valid_blocks(blocks)
    text = renderer.text(view)
    assert text.strip(), "the text twin must say something"
    return blocks, text
