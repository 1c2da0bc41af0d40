"""SOPS variables in chat: key=value → typed constants, the constants form, masked rows."""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping, Sequence

from pydantic import JsonValue

from bot.clients.bk_sops import MASK, Constant, FormField, password_keys
from bot.errors import UserError
from bot.views import FieldKind, Form, TokenStyle
from bot.views import FormField as InputField
from bot.views.sops import SopsConstantRow, fmt_value

__all__ = [
    "constant_key",
    "constant_rows",
    "constants_form_fields",
    "form_for",
    "is_empty",
    "missing_fields",
    "resolve_values",
    "short_key",
]

_KEY = re.compile(r"^\$\{(.+)\}$")


def constant_key(name: str) -> str:
    """``ip_list`` or ``${ip_list}`` → ``${ip_list}`` (constants are keyed by reference, §2.2)."""
    name = name.strip()
    return name if _KEY.match(name) else "${" + name + "}"


def short_key(key: str) -> str:
    """``${ip_list}`` → ``ip_list``: what people type and what form fields are named."""
    match = _KEY.match(key)
    return match.group(1) if match else key


def is_empty(value: JsonValue) -> bool:
    """Whether a variable has no value worth running with."""
    return value is None or value == "" or value == [] or value == {}


def _parse_json(field: FormField, text: str, kind: type) -> JsonValue:
    try:
        value: JsonValue = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, kind):
        expected = {bool: "true or false", dict: "a JSON object", list: "a JSON list"}[kind]
        raise UserError(
            f"`{short_key(field.key)}` ({field.name}) must be {expected}.",
            field=short_key(field.key),
        )
    return value


def _coerce(field: FormField, text: str) -> JsonValue:
    # bk-sops §3.3: the value's shape must match the variable's type; strings unless the
    # variable is an int or its default is not a string (selectors take objects).
    name = short_key(field.key)
    default = field.value
    value: JsonValue
    if field.custom_type == "int" or (isinstance(default, int) and not isinstance(default, bool)):
        try:
            value = int(text.strip())
        except ValueError:
            shown = "" if field.is_password else f" (got `{text}`)"
            raise UserError(
                f"`{name}` ({field.name}) must be a whole number{shown}.", field=name
            ) from None
    elif isinstance(default, bool):
        value = _parse_json(field, text.strip().lower(), bool)
    elif isinstance(default, float):
        try:
            value = float(text.strip())
        except ValueError:
            shown = "" if field.is_password else f" (got `{text}`)"
            raise UserError(
                f"`{name}` ({field.name}) must be a number{shown}.", field=name
            ) from None
    elif isinstance(default, dict | list):
        value = _parse_json(field, text, type(default))
    else:
        value = text
    if field.validation and isinstance(value, str) and value:
        try:
            ok = re.search(field.validation, value) is not None
        except re.error:
            ok = True  # a rule the UI's JavaScript accepts but Python cannot read: let it pass
        if not ok:
            raise UserError(
                f"`{name}` ({field.name}) does not match the template's rule `{field.validation}`.",
                field=name,
            )
    return value


def resolve_values(
    fields: Sequence[FormField],
    given: Mapping[str, str],
    *,
    hidden: Iterable[str] = (),
    what: str = "This template",
    extra_hint: str = "",
) -> dict[str, JsonValue]:
    """Typed ``name=value`` pairs → ``{"${key}": value}`` for the form's variables.

    Unknown keys are an error here because BK-SOPS silently ignores them (§3.3, §3.16), and
    hidden variables cannot be set through a task form.
    """
    by_key = {f.key: f for f in fields}
    hidden_keys = set(hidden)
    values: dict[str, JsonValue] = {}
    for raw, text in given.items():
        key = constant_key(raw)
        name = short_key(key)
        field = by_key.get(key)
        if field is None:
            known = ", ".join(short_key(f.key) for f in fields) or "none"
            if key in hidden_keys:
                raise UserError(
                    f"`{name}` is a hidden variable; it cannot be set from chat.",
                    hint=f"Variables you can set: {known}.",
                    field=name,
                )
            raise UserError(
                f"{what} has no variable `{name}`.",
                hint=f"Variables you can set: {known}.{extra_hint}",
                field=name,
            )
        values[key] = _coerce(field, text)
    return values


def missing_fields(fields: Sequence[FormField], values: Mapping[str, JsonValue]) -> list[FormField]:
    """Form variables that still have no value."""
    return [f for f in fields if is_empty(values.get(f.key, f.value))]


def _kind(field: FormField) -> FieldKind:
    if field.is_password:
        return FieldKind.PASSWORD
    if field.custom_type == "int":
        return FieldKind.NUMBER
    if field.custom_type == "textarea" or (isinstance(field.value, str) and "\n" in field.value):
        return FieldKind.MULTILINE
    return FieldKind.TEXT


def constants_form_fields(
    fields: Sequence[FormField], given: Mapping[str, JsonValue]
) -> tuple[InputField, ...]:
    """One form input per variable, prefilled; passwords are never prefilled."""
    inputs: list[InputField] = []
    for field in fields:
        current = given.get(field.key, field.value)
        hint = field.desc or None
        if field.is_password:
            default = None
            required = is_empty(field.value)
            if not required:
                hint = ((hint + " ") if hint else "") + "Leave empty to keep the saved value."
        else:
            default = None if is_empty(current) else fmt_value(current, limit=3000)
            required = True
        inputs.append(
            InputField(
                name=short_key(field.key),
                label=field.name,
                kind=_kind(field),
                required=required,
                default=default,
                hint=hint,
                token=TokenStyle.ASSIGN,
            )
        )
    return tuple(inputs)


def constant_rows(
    fields: Sequence[FormField] | None = None,
    constants: Mapping[str, Constant] | None = None,
    *,
    include_hidden: bool = False,
) -> tuple[SopsConstantRow, ...]:
    """Variables as display rows, passwords masked (from a form or from a constants map)."""
    rows: list[SopsConstantRow] = []
    if fields is not None:
        for field in fields:
            rows.append(
                SopsConstantRow(
                    key=short_key(field.key),
                    name=field.name,
                    value=fmt_value(field.display_value()),
                    desc=field.desc or None,
                    secret=field.is_password,
                )
            )
    if constants is not None:
        secret = password_keys(constants)
        ordered = sorted(constants.values(), key=lambda c: (c.index is None, c.index or 0, c.key))
        for constant in ordered:
            hidden = constant.show_type != "show"
            if constant.source_type == "component_outputs" or (hidden and not include_hidden):
                continue
            value = constant.value
            if constant.key in secret and not is_empty(value):
                value = MASK
            rows.append(
                SopsConstantRow(
                    key=short_key(constant.key),
                    name=constant.name or short_key(constant.key),
                    value=fmt_value(value),
                    desc=constant.desc or None,
                    secret=constant.key in secret,
                    hidden=hidden,
                )
            )
    return tuple(rows)


def form_for(
    *,
    title: str,
    submit: str,
    command: Sequence[str],
    leading: Sequence[InputField],
    fields: Sequence[FormField],
    given: Mapping[str, JsonValue],
    intro: str | None,
) -> Form:
    """A constants form: the leading inputs (name, schedule …), then one per variable."""
    return Form(
        title=title[:24],
        submit=submit,
        command=tuple(command),
        fields=(*leading, *constants_form_fields(fields, given)),
        intro=intro,
    )
