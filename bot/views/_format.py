"""Display helpers shared by the views: the row base model and duration formatting."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

__all__ = ["Row", "format_duration"]


class Row(BaseModel):
    """A line of a list or card: frozen data, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def format_duration(seconds: float | None, *, tenths: bool = False) -> str | None:
    """``45s``, ``2m 05s``, ``1h 02m``, ``2d 03h``; with ``tenths``, ``3.2s`` under 10 s."""
    if seconds is None:
        return None
    if tenths and seconds < 10:
        return f"{max(seconds, 0.0):.1f}s"
    total = max(int(seconds), 0)
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    if days:
        return f"{days}d {hours:02d}h"
    if hours:
        return f"{hours}h {minutes:02d}m"
    if minutes:
        return f"{minutes}m {secs:02d}s"
    return f"{secs}s"
