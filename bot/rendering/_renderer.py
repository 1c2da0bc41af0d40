"""jinja2 → Block Kit and plain text: one template pair per view, limits enforced after."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import jinja2

from bot.rendering import _blocks
from bot.views import View

__all__ = ["Rendered", "Renderer", "TemplateError", "default_templates_dir"]

# Slack shows the top-level text in notifications; keep it to a readable size.
MAX_FALLBACK_TEXT = 3000


class TemplateError(Exception):
    """A template is missing, uses an undefined name, or did not produce a block list."""


@dataclass(frozen=True)
class Rendered:
    """A view rendered for a chat surface."""

    blocks: list[_blocks.Block]
    text: str


def default_templates_dir() -> Path:
    """``templates/`` at the project root (a source checkout or an editable install)."""
    return Path(__file__).resolve().parents[2] / "templates"


def _code_fence(text: object) -> str:
    return f"```{_blocks.escape(text).replace('```', 'ʼʼʼ')}```"


def _plural(count: int, singular: str, plural: str | None = None) -> str:
    return f"{count} {singular if count == 1 else (plural or singular + 's')}"


class Renderer:
    """Renders views with ``<template>.blocks.json.j2`` (Slack) and ``<template>.text.j2``."""

    def __init__(self, templates_dir: Path | None = None) -> None:
        directory = templates_dir or default_templates_dir()
        if not directory.is_dir():
            raise TemplateError(f"templates directory not found: {directory}")
        self._env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(directory),
            # Slack decodes only & < >; HTML autoescape would show &#34; literally (§3.6).
            autoescape=False,
            undefined=jinja2.StrictUndefined,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
            extensions=["jinja2.ext.do", "jinja2.ext.loopcontrols"],
        )
        self._env.filters.update(
            esc=_blocks.escape,
            truncate_text=_blocks.truncate,
            code_fence=_code_fence,
            plural=_plural,
        )
        self._env.globals.update(
            header=_blocks.header,
            section=_blocks.section,
            fields_section=_blocks.fields_section,
            code=_blocks.code,
            context=_blocks.context,
            divider=_blocks.divider,
            button=_blocks.button,
            actions=_blocks.actions,
            esc=_blocks.escape,
        )

    def blocks(self, view: View, *, limit: int = _blocks.MAX_BLOCKS_MESSAGE) -> list[_blocks.Block]:
        """Block Kit blocks for ``view``, within Slack's block-count limit."""
        source = self._render(f"{view.template}.blocks.json.j2", view)
        try:
            parsed = json.loads(source)
        except json.JSONDecodeError as exc:
            raise TemplateError(f"{view.template}.blocks.json.j2 is not JSON: {exc}") from exc
        if not isinstance(parsed, list) or not all(isinstance(b, dict) for b in parsed):
            raise TemplateError(f"{view.template}.blocks.json.j2 must produce a list of blocks")
        return _blocks.fit_blocks(parsed, limit)

    def text(self, view: View) -> str:
        """The plain-text twin (console, notifications, logs)."""
        return self._render(f"{view.template}.text.j2", view).strip("\n")

    def render(self, view: View, *, limit: int = _blocks.MAX_BLOCKS_MESSAGE) -> Rendered:
        """Both forms; ``text`` is cut to a notification-sized fallback."""
        return Rendered(
            blocks=self.blocks(view, limit=limit),
            text=_blocks.truncate(self.text(view), MAX_FALLBACK_TEXT),
        )

    def _render(self, name: str, view: View) -> str:
        try:
            template = self._env.get_template(name)
            return template.render(view=view)
        except jinja2.TemplateNotFound as exc:
            raise TemplateError(f"template not found: {name}") from exc
        except jinja2.UndefinedError as exc:
            raise TemplateError(f"{name}: {exc.message}") from exc
