"""Find the buttons of a view, in display order, so the console can number them."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import BaseModel

from bot.views import Action

__all__ = ["button_lines", "collect_actions"]


def collect_actions(view: BaseModel) -> list[Action]:
    """Every Action reachable from the view's fields (rows before the view's own buttons)."""
    found: list[Action] = []
    _walk(view, found, depth=0)
    own = _direct(view)
    # The view's own buttons (Prev/Next, Run …) read best after the rows' buttons.
    return [a for a in found if a not in own] + own


def _direct(model: BaseModel) -> list[Action]:
    value = getattr(model, "actions", ())
    return [a for a in value if isinstance(a, Action)] if isinstance(value, tuple) else []


def _walk(value: object, found: list[Action], depth: int) -> None:
    if depth > 6:
        return
    if isinstance(value, Action):
        found.append(value)
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            _walk(getattr(value, name), found, depth + 1)
    elif isinstance(value, tuple | list):
        for item in value:
            _walk(item, found, depth + 1)


def button_lines(actions: Sequence[Action], first: int) -> list[str]:
    """``[3] Confirm  [4] Reject``: the buttons numbered from ``first``, on one line.

    When labels repeat (rows share "Run", "Details"), one line per button saying what it runs.
    """
    labels = [a.label for a in actions]
    if len(set(labels)) == len(labels):
        return ["  ".join(f"[{first + i}] {a.label}" for i, a in enumerate(actions))]
    return [f"[{first + i}] {a.label}: {a.command}" for i, a in enumerate(actions)]
