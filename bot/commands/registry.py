"""Command name → model, handler and help text; binds tokens to a command's typed model.

A command model is a pydantic model. Its ``positionals`` name the fields filled from bare
words, in order; every other field is a ``--flag`` (``--script-id`` fills ``script_id``,
booleans take no value). Models that accept ``name=value`` declare an ``assignments`` field,
and ones that accept a fenced code block a ``code`` field. Every command takes ``--biz N``;
reads also take ``--share``.
"""

from __future__ import annotations

import difflib
import enum
import types
import typing
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from bot.commands.grammar import CODE_TOKEN, Tokens
from bot.errors import UserError

if TYPE_CHECKING:
    from bot.commands._context import Context
    from bot.views import Reply

__all__ = [
    "CommandModel",
    "CommandSpec",
    "CommandTable",
    "Handler",
    "ReadCommand",
    "Registry",
    "Topic",
]


class Topic(enum.StrEnum):
    """Help topics."""

    GENERAL = "general"
    JOB = "job"
    SOPS = "sops"


class CommandModel(BaseModel):
    """Base of every command: ``--biz`` overrides the channel's business."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    positionals: ClassVar[tuple[str, ...]] = ()
    # When set, extra words are joined with spaces into the last positional (free text).
    greedy: ClassVar[bool] = False

    biz: int | None = Field(default=None, ge=1)


class ReadCommand(CommandModel):
    """A command that only reads: the answer is private unless ``--share``."""

    share: bool = False


M = TypeVar("M", bound=CommandModel)
Handler = Callable[[Any, "Context"], Awaitable["Reply"]]


@dataclass(frozen=True)
class CommandSpec:
    """One registered command."""

    path: tuple[str, ...]
    model: type[CommandModel]
    handler: Handler
    usage: str
    summary: str
    topic: Topic
    # False for commands that work without a business (help, whoami …).
    needs_biz: bool = True
    # Commands an unmapped Slack user may still run.
    anonymous: bool = False

    @property
    def name(self) -> str:
        """The command words, e.g. ``job plans``."""
        return " ".join(self.path)

    @property
    def full_usage(self) -> str:
        """Usage with the options every command of its kind takes."""
        extra = " [--biz N]" if self.needs_biz else ""
        if issubclass(self.model, ReadCommand):
            extra += " [--share]"
        return f"{self.usage}{extra}"


class Registry:
    """All commands; parses token lists into (spec, command model)."""

    def __init__(self) -> None:
        self._specs: dict[tuple[str, ...], CommandSpec] = {}

    def add(self, spec: CommandSpec) -> None:
        """Register a spec built elsewhere (see CommandTable)."""
        if spec.path in self._specs:
            raise ValueError(f"command {spec.name!r} registered twice")
        self._specs[spec.path] = spec

    @property
    def specs(self) -> list[CommandSpec]:
        """Every command, in registration order."""
        return list(self._specs.values())

    def get(self, name: str) -> CommandSpec | None:
        """The spec registered under ``name`` (e.g. ``"job plans"``)."""
        return self._specs.get(tuple(name.split()))

    def topics(self) -> list[str]:
        """Help topics that have commands."""
        return [t.value for t in Topic if any(s.topic is t for s in self._specs.values())]

    # ---- parsing --------------------------------------------------------------------------

    def resolve(self, tokens: Tokens) -> tuple[CommandSpec, CommandModel]:
        """Find the command the words name and bind the rest of them to its model."""
        words = list(tokens.words)
        if not words:
            raise UserError("Type a command, for example `help`.")
        spec = self._match(words)
        if spec is None:
            raise UserError(
                f"Unknown command `{' '.join(words[:3])}`.",
                suggestion=self.closest(" ".join(words)),
                hint="`help` lists every command.",
            )
        rest = words[len(spec.path) :]
        return spec, self.bind(spec, rest, tokens.code)

    def _match(self, words: Sequence[str]) -> CommandSpec | None:
        lowered = [w.lower() for w in words]
        for length in range(min(3, len(lowered)), 0, -1):
            spec = self._specs.get(tuple(lowered[:length]))
            if spec is not None:
                return spec
        return None

    def closest(self, text: str) -> str | None:
        """The registered command whose usage is nearest to ``text``."""
        names = {s.name: s for s in self._specs.values()}
        words = text.lower().split()
        candidates: list[str] = []
        for length in (3, 2, 1):
            candidates = difflib.get_close_matches(
                " ".join(words[:length]), list(names), n=1, cutoff=0.6
            )
            if candidates:
                break
        if not candidates and words:
            # "job" alone, or a known first word with a wrong second one.
            same_topic = [n for n in names if n.split()[0] == words[0]]
            candidates = same_topic[:1]
        return names[candidates[0]].usage if candidates else None

    def bind(self, spec: CommandSpec, words: Sequence[str], code: str | None) -> CommandModel:
        """Build ``spec.model`` from the words after the command name."""
        model = spec.model
        fields = model.model_fields
        values: dict[str, object] = {}
        positionals: list[str] = []
        assignments: dict[str, str] = {}
        i = 0
        while i < len(words):
            word = words[i]
            if word == CODE_TOKEN:
                if "code" not in fields:
                    raise self._usage_error(spec, "This command does not take a code block.")
                values["code"] = code
            elif word.startswith("--") and len(word) > 2:
                name, _, inline = word[2:].partition("=")
                attr = name.replace("-", "_")
                if attr not in fields or attr in model.positionals or attr in _HIDDEN:
                    raise self._usage_error(
                        spec, f"Unknown option `--{name}`.", suggestion=self._near_flag(spec, name)
                    )
                if _is_bool(fields[attr].annotation) and not inline:
                    values[attr] = True
                elif inline:
                    values[attr] = inline
                else:
                    if i + 1 >= len(words) or words[i + 1] == CODE_TOKEN:
                        raise self._usage_error(spec, f"`--{name}` needs a value.")
                    values[attr] = words[i + 1]
                    i += 1
            elif "=" in word and not word.startswith("=") and "assignments" in fields:
                key, _, value = word.partition("=")
                assignments[key] = value
            else:
                positionals.append(word)
            i += 1
        if assignments:
            values["assignments"] = assignments
        names = model.positionals
        if len(positionals) > len(names):
            if model.greedy and names:
                keep = len(names) - 1
                positionals = [*positionals[:keep], " ".join(positionals[keep:])]
            else:
                extra = " ".join(positionals[len(names) :])
                hint = (
                    " Use name=value for variables."
                    if "=" in extra
                    else ' Put values with spaces in "quotes".'
                )
                raise self._usage_error(spec, f"Unexpected `{extra}`.{hint}")
        values.update(zip(names, positionals, strict=False))
        try:
            return model.model_validate(values)
        except ValidationError as exc:
            raise self._validation_error(spec, exc) from exc

    # ---- errors ---------------------------------------------------------------------------

    def _usage_error(
        self, spec: CommandSpec, message: str, *, suggestion: str | None = None
    ) -> UserError:
        return UserError(message, usage=spec.full_usage, suggestion=suggestion)

    def _near_flag(self, spec: CommandSpec, name: str) -> str | None:
        flags = [
            f.replace("_", "-")
            for f in spec.model.model_fields
            if f not in spec.model.positionals and f not in _HIDDEN
        ]
        near = difflib.get_close_matches(name, flags, n=1)
        return f"--{near[0]}" if near else None

    def _validation_error(self, spec: CommandSpec, exc: ValidationError) -> UserError:
        err = exc.errors()[0]
        loc = [str(p) for p in err["loc"]]
        field_name = loc[0] if loc else None
        label = _label(spec, field_name)
        if err["type"] == "missing":
            message = f"Missing {label}."
        else:
            got = err.get("input")
            shown = f" (got `{got}`)" if isinstance(got, str | int | float) else ""
            message = f"{label[0].upper()}{label[1:]} {_friendly(err['type'], err['msg'])}{shown}."
        error = UserError(message, usage=spec.full_usage)
        error.field = field_name
        return error


class CommandTable:
    """A module's commands, declared with ``@table.command(...)`` and added to a Registry.

    Keeps handlers plain module-level coroutines (easy to test) while the registry stays an
    object built by the runtime.
    """

    def __init__(self, topic: Topic) -> None:
        self.topic = topic
        self._specs: list[CommandSpec] = []

    def command(
        self,
        name: str,
        model: type[M],
        *,
        usage: str,
        summary: str,
        needs_biz: bool = True,
        anonymous: bool = False,
    ) -> Callable[
        [Callable[[M, Context], Awaitable[Reply]]], Callable[[M, Context], Awaitable[Reply]]
    ]:
        """Declare the decorated coroutine as the handler of ``name``."""

        def declare(
            handler: Callable[[M, Context], Awaitable[Reply]],
        ) -> Callable[[M, Context], Awaitable[Reply]]:
            self._specs.append(
                CommandSpec(
                    path=tuple(name.split()),
                    model=model,
                    handler=handler,
                    usage=usage,
                    summary=summary,
                    topic=self.topic,
                    needs_biz=needs_biz,
                    anonymous=anonymous,
                )
            )
            return handler

        return declare

    def register(self, registry: Registry) -> None:
        """Add every declared command to ``registry``."""
        for spec in self._specs:
            registry.add(spec)


# Fields that are not user-facing flags.
_HIDDEN = frozenset({"assignments", "code"})


def _label(spec: CommandSpec, field_name: str | None) -> str:
    if field_name is None:
        return "the command"
    if field_name in spec.model.positionals:
        return field_name.upper().replace("_", " ")
    if field_name == "code":
        return "the ``` code block"
    if field_name == "assignments":
        return "the name=value pairs"
    return f"--{field_name.replace('_', '-')}"


_TYPE_MESSAGES = {
    "int_parsing": "must be a whole number",
    "int_type": "must be a whole number",
    "float_parsing": "must be a number",
    "bool_parsing": "must be yes or no",
    "int_from_float": "must be a whole number",
}


def _friendly(kind: str, message: str) -> str:
    if kind in _TYPE_MESSAGES:
        return _TYPE_MESSAGES[kind]
    # pydantic's messages read "Input should be …" / "Value error, …"
    message = message.removeprefix("Value error, ").removeprefix("Input ")
    return message[0].lower() + message[1:] if message else message


def _is_bool(annotation: object) -> bool:
    if annotation is bool:
        return True
    origin = typing.get_origin(annotation)
    if origin is typing.Union or origin is types.UnionType:
        return bool in typing.get_args(annotation)
    return False


def iter_words(specs: Iterable[CommandSpec]) -> list[str]:
    """Every command name, for tab completion."""
    return sorted(s.name for s in specs)
