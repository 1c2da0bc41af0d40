"""Text after /bk → tokens: shell-like words, "quoted values", name=value, --flags, ``` code.

Parsing is two-step: ``tokenize`` splits the text once; the registry then binds the tokens to
one command's model, which is when a token is known to be a flag value or a positional.
"""

from __future__ import annotations

import re
import shlex
from dataclasses import dataclass, field

from bot.errors import UserError

__all__ = ["CODE_TOKEN", "Tokens", "code_block", "split_words", "tokenize"]

# Stands in for the fenced code block while the rest of the text is split into words.
CODE_TOKEN = "\x00code\x00"

_FENCE = re.compile(r"```(?:[A-Za-z0-9_+-]*[ \t]*\n)?(.*?)```", re.DOTALL)
# Phones and Slack turn straight quotes into curly ones; shell syntax needs the straight kind.
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "‘": "'", "’": "'", "«": '"', "»": '"'})


@dataclass(frozen=True)
class Tokens:
    """The words of a command line, plus the fenced code block if there was one."""

    words: tuple[str, ...]
    code: str | None = None
    # Words that were quoted keep spaces; the registry never splits them again.
    raw: str = field(default="", compare=False)


def code_block(code: str) -> str:
    """The fenced form of ``code`` as a user would type it."""
    return f"```\n{code}\n```"


def split_words(text: str) -> list[str]:
    """Shell-like split with friendly errors (curly quotes allowed)."""
    try:
        return shlex.split(text.translate(_QUOTES), posix=True)
    except ValueError as exc:  # "No closing quotation" and friends
        raise UserError(
            f"Could not read the command: {exc.args[0].lower()}.",
            hint='Put values with spaces in "double quotes" and close every quote.',
        ) from exc


def tokenize(text: str) -> Tokens:
    """Split a command line; at most one ``` fenced ``` block, kept verbatim as ``code``."""
    blocks = _FENCE.findall(text)
    if len(blocks) > 1:
        raise UserError("Only one ``` code block is allowed per command.")
    if text.count("```") % 2:
        raise UserError("A ``` code block is not closed.", hint="End the code with ``` .")
    code: str | None = None
    rest = text
    if blocks:
        code = blocks[0].strip("\n")
        rest = _FENCE.sub(f" {CODE_TOKEN} ", text, count=1)
    words = split_words(rest)
    return Tokens(words=tuple(words), code=code, raw=text)
