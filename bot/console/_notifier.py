"""The console's Notifier: the poller's news about a run, printed as thread lines."""

from __future__ import annotations

from bot.console._app import ConsoleApp
from bot.console._buttons import collect_actions
from bot.services.ports import CardTarget, ThreadPost
from bot.views import NoticeView, PostTone, ThreadPostView, View

__all__ = ["ConsoleNotifier"]

# The first line of a thread message, as Placement.THREAD replies print; the rest of the
# message is indented under it.
THREAD_PREFIX = "  ↳ "
THREAD_INDENT = " " * len(THREAD_PREFIX)

_STYLES: dict[PostTone, str] = {
    PostTone.SUCCEEDED: "green",
    PostTone.FAILED: "red",
    PostTone.REJECTED: "red",
    PostTone.STOPPED: "red",
    PostTone.REVOKED: "red",
    PostTone.WAITING: "yellow",
    PostTone.PAUSED: "yellow",
    PostTone.EXPIRED: "yellow",
}


class ConsoleNotifier:
    """Implements the Notifier port for the terminal of ``app``.

    Each post becomes thread lines under the card its command printed; its buttons get the
    next numbers of the session, so typing one clicks it like any reply's button.
    """

    def __init__(self, app: ConsoleApp) -> None:
        self._app = app

    async def post(self, target: CardTarget, post: ThreadPost) -> str | None:
        """Print the post's text twin as thread lines; there is no message ts."""
        app = self._app
        io = app.io
        style = _style(post.view)
        lines = app.runtime.renderer.text(post.view).splitlines() or [""]
        io.write(f"{THREAD_PREFIX}{lines[0]}", style=style)
        for line in lines[1:]:
            io.write(f"{THREAD_INDENT}{line}" if line else "", style=style)
        if post.attachment is not None:
            # No uploads in a terminal: the file the thread would get is printed in place.
            io.write(f"{THREAD_INDENT}── {post.attachment.filename} ──", style="dim")
            for line in post.attachment.content.splitlines():
                io.write(f"{THREAD_INDENT}{line}")
        app.show_buttons(collect_actions(post.view), prefix=THREAD_INDENT)
        return None

    def update_card(self, target: CardTarget, card: View) -> None:
        """Nothing: a terminal cannot edit the card it printed when the command answered
        (the poller only edits cards that have a message ts, which console cards lack).
        Reprinting the whole card at each change would bury the thread lines; ``status``
        prints the current card on demand."""

    async def edit_card(self, target: CardTarget, card: View) -> None:
        """Nothing to wait for either: there is no card message to edit (see update_card)."""


def _style(view: View) -> str | None:
    if isinstance(view, ThreadPostView):
        return _STYLES.get(view.tone)
    if isinstance(view, NoticeView):
        return "dim"
    return None
