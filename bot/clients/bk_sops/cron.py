"""Periodic-task schedules: the request ``cron`` object and the returned ``cron`` string."""

from __future__ import annotations

import re
from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, ValidationError, ValidationInfo, field_validator

__all__ = ["CronSpec", "PeriodicCron", "parse_cron"]

# celery-crontab bounds per field (bk-sops §3.13); day_of_week 0 = Sunday.
_BOUNDS: dict[str, tuple[int, int]] = {
    "minute": (0, 59),
    "hour": (0, 23),
    "day_of_week": (0, 6),
    "day_of_month": (1, 31),
    "month_of_year": (1, 12),
}
_WEEKDAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")
_WEEKDAY_NAMES = ("sunday", "monday", "tuesday", "wednesday", "thursday", "friday", "saturday")
_PART = re.compile(r"^(?:(?P<star>\*)|(?P<lo>\w+)(?:-(?P<hi>\w+))?)(?:/(?P<step>\d+))?$")
# "<m> <h> <dow> <dom> <moy> (m/h/d/dM/MY) <tz>" — the zone suffix is missing on old records
# (bk-sops §3.11).
_CRON_STRING = re.compile(
    r"^\s*(?P<fields>\S+(?:\s+\S+){4})\s*(?:\(m/h/d/dM/MY\)\s*(?P<tz>\S+)?)?\s*$"
)


def _value(token: str, field: str) -> int:
    lowered = token.lower()
    if field == "day_of_week" and not lowered.isdigit():
        for names in (_WEEKDAYS, _WEEKDAY_NAMES):
            if lowered in names:
                return names.index(lowered)
        raise ValueError(f"{token!r} is not a day of the week")
    if not lowered.isdigit():
        raise ValueError(f"{token!r} is not a number")
    number = int(lowered)
    low, high = _BOUNDS[field]
    if not low <= number <= high:
        raise ValueError(f"{number} is outside {low}-{high}")
    return number


def _check_field(text: str, field: str) -> str:
    if not text:
        raise ValueError("must not be empty")
    for part in text.split(","):
        match = _PART.match(part)
        if match is None:
            raise ValueError(f"{part!r} is not crontab syntax (*, */n, a, a-b, a-b/n, lists)")
        if match["step"] is not None and int(match["step"]) < 1:
            raise ValueError(f"step in {part!r} must be at least 1")
        if match["star"] is None:
            _value(match["lo"], field)
            if match["hi"] is not None:
                _value(match["hi"], field)
            elif match["step"] is not None:
                # celery accepts */n and a-b/n, but not a/n
                raise ValueError(f"{part!r}: a step needs * or a range")
    return text


class CronSpec(BaseModel):
    """The ``cron`` object of ``create_periodic_task`` / ``modify_cron_for_periodic_task``.

    Every field defaults to ``"*"`` and is always sent: the server turns an omitted field into
    ``"*"`` and an omitted object into "every minute" (bk-sops §3.15).
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    minute: str = "*"
    hour: str = "*"
    day_of_week: str = "*"
    day_of_month: str = "*"
    month_of_year: str = "*"

    @field_validator("minute", "hour", "day_of_week", "day_of_month", "month_of_year")
    @classmethod
    def _crontab_syntax(cls, value: str, info: ValidationInfo) -> str:
        return _check_field(value.strip(), info.field_name or "")

    def __str__(self) -> str:
        # the order the server uses in its cron strings (bk-sops §3.11)
        return " ".join(
            (self.minute, self.hour, self.day_of_week, self.day_of_month, self.month_of_year)
        )


@dataclass(frozen=True, slots=True)
class PeriodicCron:
    """A parsed periodic-task ``cron`` string: the five fields and the project time zone."""

    spec: CronSpec
    # IANA zone the schedule runs in; None on old records without the suffix (bk-sops §3.11)
    timezone: str | None


def parse_cron(text: str) -> PeriodicCron:
    """Parse ``"0 2 * * * (m/h/d/dM/MY) Asia/Shanghai"``; raise ValueError when it is not one."""
    match = _CRON_STRING.match(text)
    if match is None:
        raise ValueError(f"not a periodic-task cron string: {text!r}")
    minute, hour, day_of_week, day_of_month, month_of_year = match["fields"].split()
    try:
        spec = CronSpec(
            minute=minute,
            hour=hour,
            day_of_week=day_of_week,
            day_of_month=day_of_month,
            month_of_year=month_of_year,
        )
    except ValidationError as exc:
        raise ValueError(f"not a valid schedule: {text!r}") from exc
    return PeriodicCron(spec=spec, timezone=match["tz"])
