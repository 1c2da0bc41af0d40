"""Schedules for periodic tasks: crontab text a person types → CronSpec, and CronSpec → words."""

from __future__ import annotations

import re

from pydantic import ValidationError

from bot.clients.bk_sops import CronSpec, PeriodicCron
from bot.errors import UserError

__all__ = [
    "CRON_HINT",
    "crontab_spec",
    "describe_schedule",
    "parse_user_cron",
    "schedule_words",
]

CRON_HINT = (
    'Five fields in crontab order: minute hour day-of-month month day-of-week, e.g. "0 2 * * *" '
    "for every day at 02:00 (in the project's time zone)."
)

_DAY_NAMES = ("Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_FIELD_LABELS = {
    "minute": "minute",
    "hour": "hour",
    "day_of_month": "day-of-month",
    "month_of_year": "month",
    "day_of_week": "day-of-week",
}
_STEP = re.compile(r"^\*/(\d+)$")


def crontab_spec(text: str) -> CronSpec:
    """``"m h dom mon dow"`` (standard crontab order) → the SOPS ``cron`` object.

    BK-SOPS names the fields and prints them in its own order (minute hour day-of-week
    day-of-month month, bk-sops §3.11), so the order people type is mapped by name here.
    Raises ValueError with a message that completes "<the schedule> …".
    """
    parts = text.split()
    if len(parts) != 5:
        raise ValueError(
            f"needs five fields (minute hour day-of-month month day-of-week), not {len(parts)}"
        )
    minute, hour, day_of_month, month, day_of_week = parts
    # Standard crontab also accepts 7 for Sunday; celery knows only 0-6 (bk-sops §3.13).
    day_of_week = ",".join("0" if p == "7" else p for p in day_of_week.split(","))
    try:
        return CronSpec(
            minute=minute,
            hour=hour,
            day_of_month=day_of_month,
            month_of_year=month,
            day_of_week=day_of_week,
        )
    except ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err["loc"] else ""
        message = str(err["msg"]).removeprefix("Value error, ")
        raise ValueError(f"has a bad {_FIELD_LABELS.get(name, name)} field: {message}") from exc


def parse_user_cron(text: str, *, field: str = "cron") -> CronSpec:
    """:func:`crontab_spec`, failing with a UserError aimed at the form field ``field``."""
    try:
        return crontab_spec(text)
    except ValueError as exc:
        raise UserError(f"The schedule {exc}.", hint=CRON_HINT, field=field) from exc


def _day(token: str) -> str:
    lowered = token.lower()
    if lowered.isdigit() and int(lowered) < len(_DAY_NAMES):
        return _DAY_NAMES[int(lowered)]
    for name in _DAY_NAMES:
        if lowered in (name.lower(), name[:3].lower()):
            return name
    return token


def _days_of_week(text: str) -> tuple[str, bool]:
    """Words for a day-of-week field, and whether it names one single day."""
    words: list[str] = []
    for part in text.split(","):
        if "/" in part:
            words.append(part)
        elif "-" in part:
            low, high = part.split("-", 1)
            words.append(f"{_day(low)[:3]}–{_day(high)[:3]}")
        else:
            words.append(_day(part))
    single = len(words) == 1 and words[0] in _DAY_NAMES
    if not single:
        words = [w[:3] if w in _DAY_NAMES else w for w in words]
    return ", ".join(words), single


def _months(text: str) -> str:
    def name(token: str) -> str:
        return _MONTHS[int(token) - 1] if token.isdigit() and 1 <= int(token) <= 12 else token

    words = []
    for part in text.split(","):
        if "-" in part and "/" not in part:
            low, high = part.split("-", 1)
            words.append(f"{name(low)}–{name(high)}")
        else:
            words.append(name(part))
    return ", ".join(words)


def _time(minute: str, hour: str) -> str:
    minute_step = _STEP.match(minute)
    hour_step = _STEP.match(hour)
    if minute == "*" and hour == "*":
        return "every minute"
    if minute_step and hour == "*":
        return f"every {minute_step[1]} minutes"
    if minute.isdigit() and hour == "*":
        return f"every hour at :{int(minute):02d}"
    if minute.isdigit() and hour_step:
        return f"every {hour_step[1]} hours at :{int(minute):02d}"
    hour_range = re.match(r"^(\d+)-(\d+)$", hour)
    if minute.isdigit() and hour_range:
        low, high = int(hour_range[1]), int(hour_range[2])
        return f"every hour at :{int(minute):02d} from {low:02d}:00 to {high:02d}:00"
    if minute.isdigit() and all(h.isdigit() for h in hour.split(",")):
        return "at " + ", ".join(f"{int(h):02d}:{int(minute):02d}" for h in hour.split(","))
    if minute.isdigit():
        return f"at :{int(minute):02d} past hours {hour}"
    if minute_step:
        return f"every {minute_step[1]} minutes during hours {hour}"
    return f"at minutes {minute} past hours {hour}"


def describe_schedule(spec: CronSpec) -> str:
    """A schedule in words: ``every day at 02:00``, ``on Mon–Fri at 01:30`` …"""
    time = _time(spec.minute, spec.hour)
    dom, dow, month = spec.day_of_month, spec.day_of_week, spec.month_of_year
    if dom == "*" and dow == "*":
        days = "every day"
    elif dom == "*":
        words, single = _days_of_week(dow)
        days = f"every {words}" if single else f"on {words}"
    elif dow == "*":
        days = f"on day {dom} of the month"
    else:
        # celery crontabs need every field to match, unlike classic cron's "either day".
        days = f"on day {dom} of the month when it is a {_days_of_week(dow)[0]}"
    if month != "*":
        days += f" in {_months(month)}"
    if time.startswith("every"):
        return time if days == "every day" else f"{time}, {days}"
    return f"{days} {time}"


def schedule_words(parsed: PeriodicCron | None, raw: str) -> tuple[str, str | None]:
    """Words and time zone of a periodic task's ``cron`` string; the raw text if unparsable."""
    if parsed is None:
        return raw, None
    return describe_schedule(parsed.spec), parsed.timezone
