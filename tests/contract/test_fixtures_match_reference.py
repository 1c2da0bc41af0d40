"""The saved fixtures still match the examples printed in the API references."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

EXTRACTOR = Path(__file__).parent.parent / "fixtures" / "extract_examples.py"


def _extractor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("extract_examples", EXTRACTOR)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("extract_examples", module)
    spec.loader.exec_module(module)
    return module


def test_fixtures_match_the_reference_examples(capsys: pytest.CaptureFixture[str]) -> None:
    extractor = _extractor()
    if not extractor.REF.is_dir():
        pytest.skip(
            f"reference docs not found at {extractor.REF} (shared/ is not beside the clone)"
        )
    assert extractor.main(["--check"]) == 0, capsys.readouterr().out
