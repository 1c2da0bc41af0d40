"""Forms (Slack modals) as terminal prompts, with defaults and per-field errors."""

from __future__ import annotations

from bot.console._io import ConsoleIO
from bot.views import FieldKind, Form, FormField

__all__ = ["ask_field", "ask_form"]

_END = "."


async def ask_form(
    io: ConsoleIO, form: Form, errors: dict[str, str] | None = None
) -> dict[str, str] | None:
    """Ask every field (or only the ones with errors, keeping the rest); None if cancelled."""
    io.write(f"── {form.title} ──", style="bold")
    if form.intro and not errors:
        io.write(form.intro)
    answers: dict[str, str] = {}
    for field in form.fields:
        if errors is not None and field.name not in errors:
            continue
        if errors is not None:
            io.write(f"  ! {field.label}: {errors[field.name]}", style="red")
        value = await ask_field(io, field)
        if value is None:
            return None
        answers[field.name] = value
    return answers


async def ask_field(io: ConsoleIO, field: FormField) -> str | None:
    """One field: options for a select, multi-line input for code, no echo for passwords."""
    label = field.label + ("" if field.required else " (optional)")
    if field.hint:
        io.write(f"  {field.hint}", style="dim")
    if field.kind is FieldKind.SELECT and field.options:
        for i, option in enumerate(field.options, 1):
            io.write(f"    [{i}] {option.label}")
        default_index = next(
            (i for i, o in enumerate(field.options, 1) if o.value == field.default), None
        )
        shown = f" [{default_index}]" if default_index else ""
        answer = await io.read(f"  {label}{shown}: ")
        if answer is None:
            return None
        answer = answer.strip()
        if not answer:
            return field.default or ""
        if answer.isdigit() and 1 <= int(answer) <= len(field.options):
            return field.options[int(answer) - 1].value
        return answer
    if field.kind is FieldKind.MULTILINE:
        io.write(f"  {label} — end with a line holding only '{_END}'")
        if field.default:
            io.write("  (an empty first line keeps the default)", style="dim")
        lines: list[str] = []
        while True:
            line = await io.read("  | ")
            if line is None:
                return None
            if line.strip() == _END:
                break
            if not lines and not line and field.default:
                return field.default
            lines.append(line)
        return "\n".join(lines)
    if field.kind is FieldKind.PASSWORD:
        answer = await io.read_secret(f"  {label} (hidden): ")
        return None if answer is None else answer
    shown = f" [{field.default}]" if field.default else ""
    answer = await io.read(f"  {label}{shown}: ")
    if answer is None:
        return None
    return answer.strip() or (field.default or "")
