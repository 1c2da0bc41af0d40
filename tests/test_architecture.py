"""Import direction (architecture.md): lower layers never import the layers above them."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

BOT = Path(__file__).parent.parent / "bot"

# package -> bot packages it must never import
FORBIDDEN = {
    "clients": {
        "bot.slack",
        "bot.console",
        "bot.commands",
        "bot.services",
        "bot.store",
        "bot.poller",
        "bot.rendering",
        "bot.sandbox",
        "bot.runtime",
    },
    "sandbox": {
        "bot.clients",
        "bot.services",
        "bot.commands",
        "bot.slack",
        "bot.console",
        "bot.store",
        "bot.poller",
        "bot.rendering",
        "bot.runtime",
        "bot.config",
    },
}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
    return names


@pytest.mark.parametrize("package", sorted(FORBIDDEN))
def test_package_does_not_import_upper_layers(package: str) -> None:
    files = sorted((BOT / package).rglob("*.py"))
    assert files, f"bot/{package} has no modules"
    for path in files:
        for name in _imports(path):
            for banned in FORBIDDEN[package]:
                is_banned = name == banned or name.startswith(banned + ".")
                assert not is_banned, f"{path.relative_to(BOT.parent)} imports {name}"


def test_only_config_reads_the_environment() -> None:
    offenders = []
    for path in sorted(BOT.rglob("*.py")):
        if path.name == "config.py" and path.parent == BOT:
            continue
        text = path.read_text()
        if "os.environ" in text or "os.getenv" in text:
            offenders.append(str(path.relative_to(BOT.parent)))
    assert offenders == []
