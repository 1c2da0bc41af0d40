"""Block Kit builders with Slack's limits built in; templates call them, never write raw JSON.

Every builder returns a JSON-ready dict and truncates what Slack would reject (reference
slack-platform §3.5), marking the cut so nothing is silently lost.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.views import Action, ButtonStyle

__all__ = [
    "ACTION_ID_PREFIX",
    "MAX_BLOCKS_MESSAGE",
    "MAX_BLOCKS_SURFACE",
    "TRUNCATION_MARK",
    "Block",
    "actions",
    "button",
    "code",
    "context",
    "divider",
    "escape",
    "fields_section",
    "fit_blocks",
    "header",
    "section",
    "truncate",
]

Block = dict[str, object]

# Slack limits (slack-platform §3.5)
MAX_BLOCKS_MESSAGE = 50
MAX_BLOCKS_SURFACE = 100  # modals and App Home
MAX_SECTION_TEXT = 3000
MAX_FIELD_TEXT = 2000
MAX_FIELDS = 10
MAX_HEADER = 150
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_ACTION_ELEMENTS = 25
MAX_CONTEXT_ELEMENTS = 10
MAX_CONFIRM_TITLE = 100
MAX_CONFIRM_TEXT = 300
MAX_CONFIRM_BUTTON = 30

TRUNCATION_MARK = "…"
# Every command button shares this prefix; the suffix keeps action_ids unique per block.
ACTION_ID_PREFIX = "bk.cmd"


def escape(text: object) -> str:
    """Escape exactly what Slack decodes in mrkdwn and plain text: & < > (§3.6)."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def truncate(text: str, limit: int, *, keep: str = "head") -> str:
    """Cut ``text`` to ``limit`` characters with a visible mark; ``keep="tail"`` keeps the end."""
    if len(text) <= limit:
        return text
    room = limit - len(TRUNCATION_MARK)
    if keep == "tail":
        return TRUNCATION_MARK + text[len(text) - room :]
    return text[:room] + TRUNCATION_MARK


def _plain(text: str, limit: int) -> dict[str, object]:
    return {"type": "plain_text", "text": truncate(text, limit) or " ", "emoji": True}


def _mrkdwn(text: str, limit: int) -> dict[str, object]:
    return {"type": "mrkdwn", "text": truncate(text, limit) or " "}


def header(text: str) -> Block:
    """A header block (plain text, 150 chars)."""
    return {"type": "header", "text": _plain(text, MAX_HEADER)}


def section(text: str, *, accessory: Block | None = None) -> Block:
    """A mrkdwn section; ``text`` must already be escaped where it holds foreign text."""
    block: Block = {"type": "section", "text": _mrkdwn(text, MAX_SECTION_TEXT)}
    if accessory is not None:
        block["accessory"] = accessory
    return block


def fields_section(fields: Sequence[str], text: str | None = None) -> Block:
    """A section of two-column fields (at most 10; extra ones are summarised in the last)."""
    shown = list(fields)
    if len(shown) > MAX_FIELDS:
        hidden = len(shown) - (MAX_FIELDS - 1)
        shown = [*shown[: MAX_FIELDS - 1], f"_{hidden} more not shown_"]
    block: Block = {
        "type": "section",
        "fields": [_mrkdwn(f, MAX_FIELD_TEXT) for f in shown] or [_mrkdwn(" ", MAX_FIELD_TEXT)],
    }
    if text:
        block["text"] = _mrkdwn(text, MAX_SECTION_TEXT)
    return block


def code(text: str, *, keep: str = "tail", title: str | None = None) -> Block:
    """A code block in a section, escaped, cut to fit (logs keep their end by default)."""
    prefix = f"{title}\n" if title else ""
    room = MAX_SECTION_TEXT - len(prefix) - len("``````")
    body = truncate(escape(text).replace("```", "ʼʼʼ"), room, keep=keep) or " "
    return section(f"{prefix}```{body}```")


def context(*texts: str) -> Block:
    """A context line (small grey text); at most 10 elements."""
    elements = [_mrkdwn(t, MAX_SECTION_TEXT) for t in texts if t][:MAX_CONTEXT_ELEMENTS]
    return {"type": "context", "elements": elements or [_mrkdwn(" ", MAX_SECTION_TEXT)]}


def divider() -> Block:
    """A horizontal rule."""
    return {"type": "divider"}


def button(action: Action, index: int = 0) -> Block:
    """A button that runs ``action.command`` when clicked."""
    element: Block = {
        "type": "button",
        "text": _plain(action.label, MAX_BUTTON_TEXT),
        "action_id": f"{ACTION_ID_PREFIX}.{index}",
        # A command longer than a button value cannot run from a click: fail loudly in tests
        # rather than cut a command in half.
        "value": _checked_value(action.command),
    }
    if action.style is not ButtonStyle.DEFAULT:
        element["style"] = action.style.value
    if action.confirm is not None:
        confirm: Block = {
            "title": _plain(action.confirm.title, MAX_CONFIRM_TITLE),
            # Confirm texts quote plan and task names: escape them like any foreign text.
            "text": _mrkdwn(escape(action.confirm.text), MAX_CONFIRM_TEXT),
            "confirm": _plain(action.confirm.confirm, MAX_CONFIRM_BUTTON),
            "deny": _plain(action.confirm.deny, MAX_CONFIRM_BUTTON),
        }
        if action.style is ButtonStyle.DANGER:
            confirm["style"] = "danger"
        element["confirm"] = confirm
    return element


def _checked_value(command: str) -> str:
    if len(command) > MAX_BUTTON_VALUE:
        raise ValueError(f"button command is {len(command)} chars, over Slack's 2000")
    return command


def actions(items: Iterable[Action], *, start: int = 0) -> Block:
    """An actions block of buttons (at most 25)."""
    elements = [button(a, start + i) for i, a in enumerate(items)][:MAX_ACTION_ELEMENTS]
    return {"type": "actions", "elements": elements}


def fit_blocks(blocks: list[Block], limit: int = MAX_BLOCKS_MESSAGE) -> list[Block]:
    """Drop empty action blocks and keep at most ``limit`` blocks, saying how many were cut."""
    kept = [b for b in blocks if not (b.get("type") == "actions" and not b.get("elements"))]
    if len(kept) <= limit:
        return kept
    hidden = len(kept) - (limit - 1)
    return [*kept[: limit - 1], context(f"_{hidden} more blocks not shown_")]
