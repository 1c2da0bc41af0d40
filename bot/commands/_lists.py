"""Helpers every command module shares: paging, Prev/Next buttons, crediting the actor."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TypeVar

from bot.commands._context import Context
from bot.errors import UserError
from bot.rendering._blocks import MAX_BUTTON_VALUE
from bot.views import Action

__all__ = ["PAGE_SIZE", "fits", "page_of", "pager", "pages_for", "who"]

T = TypeVar("T")

# Rows per page of a list: long enough to scan, short enough to stay well under 50 blocks.
PAGE_SIZE = 10


def who(ctx: Context) -> str:
    """The name to credit in a channel message."""
    return ctx.actor.display_name or ctx.actor.bk_username or ctx.actor.id


def pages_for(total: int, page: int) -> int:
    """How many pages ``total`` rows make; a page past the end is a usage error."""
    pages = max(1, math.ceil(total / PAGE_SIZE))
    if page > pages:
        raise UserError(
            f"There is no page {page}; the list has {pages} page{'s' if pages > 1 else ''}.",
            field="page",
        )
    return pages


def page_of(items: Sequence[T], page: int) -> tuple[list[T], int]:
    """The rows of ``page`` (1-based) and the number of pages."""
    pages = pages_for(len(items), page)
    start = (page - 1) * PAGE_SIZE
    return list(items[start : start + PAGE_SIZE]), pages


def fits(command: str) -> bool:
    """Whether ``command`` can ride on a button (Slack caps a value at 2000 characters).

    A button whose command would not fit is left out rather than cut: half a command would
    run something else.
    """
    return len(command) <= MAX_BUTTON_VALUE


def pager(command: str, page: int, pages: int, suffix: str) -> tuple[Action, ...]:
    """Prev / Next buttons re-running ``command`` on the neighbouring pages; ``suffix`` carries
    --biz and other options. A button whose command would not fit is left out."""
    found: list[Action] = []
    if page > 1:
        found.append(Action(label="◀ Prev", command=f"{command} --page {page - 1}{suffix}"))
    if page < pages:
        found.append(Action(label="Next ▶", command=f"{command} --page {page + 1}{suffix}"))
    return tuple(a for a in found if fits(a.command))
