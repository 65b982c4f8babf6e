"""Shared test setup: the repo root on sys.path, small thread counts, the `slow` marker."""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

SHARED_DATA = ROOT.parent / "shared" / "data"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "slow: heavy test, excluded from the default run (-m slow runs it)")


@pytest.fixture
def shared_data() -> Path:
    if not (SHARED_DATA / "mnist").exists():
        pytest.skip("../shared/data is not present")
    return SHARED_DATA
