"""One path for every surface: text, button value or form answers → handler → Reply."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from dataclasses import dataclass

from bot.clients.errors import BKError
from bot.commands._context import Context
from bot.commands.grammar import CODE_TOKEN, Tokens, tokenize
from bot.commands.registry import CommandModel, CommandSpec, ReadCommand, Registry
from bot.errors import AccessDenied, BotError, Conflict, NotFound, UpstreamError, UserError
from bot.services import Actor, KnownRun, Services, to_bot_error
from bot.views import ErrorKind, ErrorView, Form, Placement, Reply, TokenStyle

__all__ = ["Dispatcher", "FieldErrors", "Prepared", "error_reply"]

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldErrors:
    """Form answers that cannot run: message per form field name."""

    errors: dict[str, str]


@dataclass(frozen=True)
class Prepared:
    """A command parsed and validated, ready to execute."""

    spec: CommandSpec
    command: CommandModel


class Dispatcher:
    """Parses, authorizes and runs commands; turns every failure into an error Reply."""

    def __init__(self, registry: Registry, services: Services) -> None:
        self.registry = registry
        self.services = services

    async def run(self, text: str, *, actor: Actor, channel: str | None) -> Reply:
        """Run command text (typed after /bk, or a button's value)."""
        try:
            tokens = tokenize(text)
            spec, command = self.registry.resolve(tokens)
        except BotError as exc:
            return error_reply(exc)
        return await self.execute(Prepared(spec, command), actor=actor, channel=channel)

    def prepare_form(self, form: Form, answers: Mapping[str, str]) -> Prepared | FieldErrors:
        """Turn form answers into a command without calling BlueKing (fits in an ack)."""
        words = list(form.command)
        code: str | None = None
        missing: dict[str, str] = {}
        for field in form.fields:
            value = (answers.get(field.name) or "").strip()
            if not value:
                if field.required:
                    missing[field.name] = "Required."
                continue
            if field.token is TokenStyle.ASSIGN:
                words.append(f"{field.name}={value}")
            elif field.token is TokenStyle.FLAG:
                words.extend([f"--{field.flag or field.name.replace('_', '-')}", value])
            elif field.token is TokenStyle.CODE:
                words.append(CODE_TOKEN)
                code = value
            else:
                words.append(value)
        if missing:
            return FieldErrors(missing)
        try:
            spec, command = self.registry.resolve(Tokens(words=tuple(words), code=code))
        except UserError as exc:
            return FieldErrors({self.field_for(form, exc): exc.user_message})
        return Prepared(spec, command)

    async def execute(self, prepared: Prepared, *, actor: Actor, channel: str | None) -> Reply:
        """Authorize and run a parsed command; errors become error replies."""
        spec, command = prepared.spec, prepared.command
        try:
            if actor.bk_username is None and not spec.anonymous:
                raise AccessDenied(
                    "I don't know your BlueKing user, so I can only show `help` and `whoami`.",
                    hint="Ask an administrator to map your Slack user in the policy file.",
                )
            biz = command.biz
            if biz is None and channel is not None:
                biz = await self.services.channels.get_biz(channel)
            if biz is None:
                biz = self.services.default_biz
            ctx = Context(
                actor=actor,
                channel=channel,
                services=self.services,
                biz_id=biz,
                registry=self.registry,
            )
            if spec.needs_biz:
                _ = ctx.biz  # a clear error before any BlueKing call
            reply = await spec.handler(command, ctx)
        except BKError as exc:
            log.info(
                "BlueKing refused a command",
                extra={"command": spec.name, "user": actor.id, "error": str(exc)},
            )
            return error_reply(to_bot_error(exc))
        except BotError as exc:
            if isinstance(exc, UserError) and exc.usage is None:
                exc.usage = spec.full_usage
            return error_reply(exc)
        except Exception:  # the one place a command may fail unexpectedly: log, then explain
            incident = uuid.uuid4().hex[:8]
            log.exception(
                "command failed", extra={"command": spec.name, "user": actor.id, "id": incident}
            )
            return Reply(
                view=ErrorView(
                    kind=ErrorKind.INTERNAL,
                    message="Something went wrong on the bot's side; it has been logged.",
                    request_id=incident,
                )
            )
        if reply.run is not None:
            # Every run the bot starts or posts a card for is known (pending reads these).
            await self.services.runs.remember(
                KnownRun(
                    ref=reply.run,
                    channel=channel,
                    ts=None,
                    started_by=actor.display_name or actor.id,
                    bk_username=actor.bk_username,
                    attached=reply.attached,
                )
            )
        if reply.touched is not None:
            await self.services.runs.touch(reply.touched)
        if (
            isinstance(command, ReadCommand)
            and command.share
            and reply.placement is Placement.EPHEMERAL
        ):
            return reply.model_copy(update={"placement": Placement.CHANNEL})
        return reply

    @staticmethod
    def field_for(form: Form, exc: UserError) -> str:
        """The form field an error belongs to (the first field when it names none)."""
        names = {f.name for f in form.fields}
        flags = {(f.flag or f.name).replace("-", "_"): f.name for f in form.fields}
        if exc.field in names:
            return exc.field
        if exc.field is not None and exc.field in flags:
            return flags[exc.field]
        if exc.field == "code":
            code_fields = [f.name for f in form.fields if f.token is TokenStyle.CODE]
            if code_fields:
                return code_fields[0]
        return form.fields[0].name if form.fields else "_"


def error_reply(exc: BotError) -> Reply:
    """The ephemeral reply that explains a BotError."""
    kind = ErrorKind.UPSTREAM
    view_args: dict[str, str | None] = {"hint": exc.hint}
    if isinstance(exc, UserError):
        kind = ErrorKind.USAGE
        view_args.update(usage=exc.usage, suggestion=exc.suggestion, field=exc.field)
    elif isinstance(exc, AccessDenied):
        kind = ErrorKind.DENIED
        view_args.update(missing_permission=exc.missing, apply_url=exc.apply_url)
    elif isinstance(exc, NotFound):
        kind = ErrorKind.NOT_FOUND
    elif isinstance(exc, Conflict):
        kind = ErrorKind.CONFLICT
    elif isinstance(exc, UpstreamError):
        view_args.update(request_id=exc.request_id)
    return Reply(view=ErrorView(kind=kind, message=exc.user_message, **view_args))
