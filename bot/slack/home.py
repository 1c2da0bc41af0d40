"""The App Home tab: who you are in BlueKing, the business, quick-start buttons and the help."""

from __future__ import annotations

from bot.commands import Registry
from bot.commands.general import help_view
from bot.services import Actor, Services
from bot.views import Action, HelpView, View, WhoamiView

__all__ = ["QUICK_START", "HomeView", "home_view"]

# Quick-start buttons, shown when the command exists (reads only: a Home click has no channel,
# so its reply arrives in the app's DM).
QUICK_START: tuple[tuple[str, str], ...] = (
    ("Who am I", "whoami"),
    ("Job plans", "job plans"),
    ("SOPS templates", "sops templates"),
    ("Pending approvals", "pending"),
    ("Help", "help"),
)


class HomeView(View):
    """Everything the Home tab shows for one user."""

    template = "common/home"

    command: str
    whoami: WhoamiView
    quick: tuple[Action, ...]
    help: HelpView


def home_view(actor: Actor, services: Services, registry: Registry) -> HomeView:
    """The Home tab of ``actor``: identity, default business, quick start, every command."""
    quick = tuple(
        Action(label=label, command=text)
        for label, text in QUICK_START
        if registry.get(text) is not None
    )
    return HomeView(
        command=services.command,
        whoami=WhoamiView(
            chat_user=actor.id,
            display_name=actor.display_name,
            bk_username=actor.bk_username,
            mapped_by=actor.mapped_by.value,
            roles=actor.roles,
            business=services.default_biz,
            sandbox=services.sandbox,
        ),
        quick=quick,
        help=help_view(registry, services.command, None),
    )
