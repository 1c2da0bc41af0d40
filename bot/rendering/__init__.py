"""Rendering: jinja2 templates turn views into Block Kit (Slack) and plain text (console)."""

from bot.rendering._blocks import (
    ACTION_ID_PREFIX,
    MAX_BLOCKS_MESSAGE,
    MAX_BLOCKS_SURFACE,
    TRUNCATION_MARK,
    Block,
    escape,
    truncate,
)
from bot.rendering._renderer import Rendered, Renderer, TemplateError, default_templates_dir

__all__ = [
    "ACTION_ID_PREFIX",
    "MAX_BLOCKS_MESSAGE",
    "MAX_BLOCKS_SURFACE",
    "TRUNCATION_MARK",
    "Block",
    "Rendered",
    "Renderer",
    "TemplateError",
    "default_templates_dir",
    "escape",
    "truncate",
]
