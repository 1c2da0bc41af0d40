"""Block Kit limit checks the fake Slack applies, so a rendering bug fails like real Slack would."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["MESSAGE_MAX_BLOCKS", "SURFACE_MAX_BLOCKS", "block_errors", "view_errors"]

# Limits from reference/slack-platform.md §3.5 (Block Kit reference and slack-sdk validators).
MESSAGE_MAX_BLOCKS = 50
SURFACE_MAX_BLOCKS = 100
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
URL_MAX = 3000
ID_MAX = 255
ACTIONS_ELEMENTS_MAX = 25
CONTEXT_ELEMENTS_MAX = 10
OPTIONS_MAX = 100
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
PLACEHOLDER_MAX = 150
LABEL_MAX = 2000
MARKDOWN_TOTAL_MAX = 12_000
VIEW_TEXT_MAX = 24
PRIVATE_METADATA_MAX = 3000

KNOWN_BLOCKS = frozenset(
    {
        "actions",
        "context",
        "divider",
        "file",
        "header",
        "image",
        "input",
        "markdown",
        "rich_text",
        "section",
        "video",
    }
)
SELECTS = frozenset(
    {
        "static_select",
        "multi_static_select",
        "external_select",
        "multi_external_select",
        "users_select",
        "multi_users_select",
        "conversations_select",
        "multi_conversations_select",
        "channels_select",
        "multi_channels_select",
    }
)


class _Checker:
    """Collects Slack-style error strings: `<problem> [json-pointer:/blocks/0/text/text]`."""

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.markdown_total = 0

    def add(self, problem: str, pointer: str) -> None:
        self.errors.append(f"{problem} [json-pointer:{pointer}]")

    def length(self, value: object, limit: int, pointer: str, *, minimum: int = 0) -> None:
        if not isinstance(value, str):
            self.add("must be a string", pointer)
        elif len(value) > limit:
            self.add(f"must be less than {limit + 1} characters", pointer)
        elif len(value) < minimum:
            self.add(f"must be more than {minimum - 1} characters", pointer)

    def text(self, obj: object, limit: int, pointer: str, *, plain_only: bool = False) -> None:
        if not isinstance(obj, Mapping):
            self.add("must be a text object", pointer)
            return
        kind = obj.get("type")
        allowed = ("plain_text",) if plain_only else ("plain_text", "mrkdwn")
        if kind not in allowed:
            self.add(f"must be one of {', '.join(allowed)}", f"{pointer}/type")
        self.length(obj.get("text"), limit, f"{pointer}/text", minimum=1)

    def ident(self, obj: Mapping[str, Any], key: str, pointer: str) -> None:
        if key in obj:
            self.length(obj[key], ID_MAX, f"{pointer}/{key}", minimum=1)

    def blocks(self, blocks: object, limit: int, pointer: str = "/blocks") -> None:
        if not isinstance(blocks, list):
            self.add("must be an array", pointer)
            return
        if len(blocks) > limit:
            self.add(f"no more than {limit} items allowed", pointer)
        seen: set[str] = set()
        for index, block in enumerate(blocks):
            here = f"{pointer}/{index}"
            if not isinstance(block, Mapping):
                self.add("must be an object", here)
                continue
            block_id = block.get("block_id")
            if isinstance(block_id, str):
                if block_id in seen:
                    self.add(f"duplicate block_id {block_id!r}", f"{here}/block_id")
                seen.add(block_id)
            self.ident(block, "block_id", here)
            self.block(block, here)

    def block(self, block: Mapping[str, Any], here: str) -> None:
        kind = block.get("type")
        if kind not in KNOWN_BLOCKS:
            self.add(f"unsupported block type {kind!r}", f"{here}/type")
        elif kind == "section":
            self.section(block, here)
        elif kind == "header":
            self.text(block.get("text"), HEADER_TEXT_MAX, f"{here}/text", plain_only=True)
        elif kind == "actions":
            self.elements(block.get("elements"), ACTIONS_ELEMENTS_MAX, f"{here}/elements")
        elif kind == "context":
            self.context(block.get("elements"), f"{here}/elements")
        elif kind == "input":
            self.text(block.get("label"), LABEL_MAX, f"{here}/label", plain_only=True)
            if "hint" in block:
                self.text(block["hint"], LABEL_MAX, f"{here}/hint", plain_only=True)
            element = block.get("element")
            if isinstance(element, Mapping):
                self.element(element, f"{here}/element")
            else:
                self.add("must provide an element", f"{here}/element")
        elif kind == "image":
            self.length(block.get("image_url"), URL_MAX, f"{here}/image_url", minimum=1)
            self.length(block.get("alt_text"), LABEL_MAX, f"{here}/alt_text", minimum=1)
        elif kind == "markdown":
            text = block.get("text")
            self.length(text, MARKDOWN_TOTAL_MAX, f"{here}/text", minimum=1)
            self.markdown_total += len(text) if isinstance(text, str) else 0

    def section(self, block: Mapping[str, Any], here: str) -> None:
        has_text, fields = "text" in block, block.get("fields")
        if not has_text and not fields:
            self.add("must provide either text or fields", here)
        if has_text:
            self.text(block["text"], SECTION_TEXT_MAX, f"{here}/text")
        if fields is not None:
            if not isinstance(fields, list) or len(fields) > SECTION_FIELDS_MAX:
                self.add(f"no more than {SECTION_FIELDS_MAX} items allowed", f"{here}/fields")
            else:
                for index, field in enumerate(fields):
                    self.text(field, SECTION_FIELD_TEXT_MAX, f"{here}/fields/{index}")
        accessory = block.get("accessory")
        if isinstance(accessory, Mapping):
            self.element(accessory, f"{here}/accessory")

    def elements(self, elements: object, limit: int, pointer: str) -> None:
        if not isinstance(elements, list) or not elements:
            self.add("must provide at least one element", pointer)
            return
        if len(elements) > limit:
            self.add(f"no more than {limit} items allowed", pointer)
        for index, element in enumerate(elements):
            if isinstance(element, Mapping):
                self.element(element, f"{pointer}/{index}")
            else:
                self.add("must be an object", f"{pointer}/{index}")

    def context(self, elements: object, pointer: str) -> None:
        if not isinstance(elements, list) or not elements:
            self.add("must provide at least one element", pointer)
            return
        if len(elements) > CONTEXT_ELEMENTS_MAX:
            self.add(f"no more than {CONTEXT_ELEMENTS_MAX} items allowed", pointer)
        for index, element in enumerate(elements):
            here = f"{pointer}/{index}"
            if isinstance(element, Mapping) and element.get("type") in ("plain_text", "mrkdwn"):
                self.text(element, SECTION_TEXT_MAX, here)
            elif not (isinstance(element, Mapping) and element.get("type") == "image"):
                self.add("must be a text or image element", here)

    def element(self, element: Mapping[str, Any], here: str) -> None:
        kind = element.get("type")
        self.ident(element, "action_id", here)
        if "placeholder" in element:
            self.text(element["placeholder"], PLACEHOLDER_MAX, f"{here}/placeholder")
        if kind == "button":
            self.text(element.get("text"), BUTTON_TEXT_MAX, f"{here}/text", plain_only=True)
            if "value" in element:
                self.length(element["value"], BUTTON_VALUE_MAX, f"{here}/value", minimum=1)
            if "url" in element:
                self.length(element["url"], URL_MAX, f"{here}/url", minimum=1)
            if element.get("style") not in (None, "primary", "danger"):
                self.add("must be one of primary, danger", f"{here}/style")
        elif kind in SELECTS or kind in ("overflow", "radio_buttons", "checkboxes"):
            options = element.get("options")
            if options is not None:
                self.options(options, f"{here}/options", overflow=kind == "overflow")

    def options(self, options: object, pointer: str, *, overflow: bool) -> None:
        limit = 5 if overflow else OPTIONS_MAX
        if not isinstance(options, Sequence) or isinstance(options, str) or not options:
            self.add("must provide at least one option", pointer)
            return
        if len(options) > limit:
            self.add(f"no more than {limit} items allowed", pointer)
        for index, option in enumerate(options):
            here = f"{pointer}/{index}"
            if not isinstance(option, Mapping):
                self.add("must be an option object", here)
                continue
            self.text(option.get("text"), OPTION_TEXT_MAX, f"{here}/text")
            self.length(option.get("value"), OPTION_VALUE_MAX, f"{here}/value", minimum=1)


def block_errors(blocks: object, *, limit: int = MESSAGE_MAX_BLOCKS) -> list[str]:
    """Problems with a message's `blocks` array; empty when Slack would accept it."""
    checker = _Checker()
    checker.blocks(blocks, limit)
    if checker.markdown_total > MARKDOWN_TOTAL_MAX:
        checker.add(f"markdown blocks exceed {MARKDOWN_TOTAL_MAX} characters in total", "/blocks")
    return checker.errors


def view_errors(view: object, *, kind: str) -> list[str]:
    """Problems with a modal (`kind="modal"`) or Home tab (`kind="home"`) view payload."""
    checker = _Checker()
    if not isinstance(view, Mapping):
        checker.add("must be a view object", "/view")
        return checker.errors
    if view.get("type") != kind:
        checker.add(f"must be {kind!r}", "/view/type")
    if kind == "modal":
        checker.text(view.get("title"), VIEW_TEXT_MAX, "/view/title", plain_only=True)
    for key in ("submit", "close"):
        if view.get(key) is not None:
            checker.text(view[key], VIEW_TEXT_MAX, f"/view/{key}", plain_only=True)
    blocks = view.get("blocks")
    checker.blocks(blocks, SURFACE_MAX_BLOCKS, "/view/blocks")
    has_input = isinstance(blocks, list) and any(
        isinstance(b, Mapping) and b.get("type") == "input" for b in blocks
    )
    if kind == "modal" and has_input and view.get("submit") is None:
        checker.add("submit is required when a modal has input blocks", "/view/submit")
    metadata = view.get("private_metadata")
    if metadata is not None:
        checker.length(metadata, PRIVATE_METADATA_MAX, "/view/private_metadata")
    for key in ("callback_id", "external_id"):
        if view.get(key):
            checker.length(view[key], ID_MAX, f"/view/{key}")
    return checker.errors
