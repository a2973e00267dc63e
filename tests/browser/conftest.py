"""Browser tests (tests/browser): one headless Chromium per session, a fresh page per test."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The tests import their helpers as ``browser_kit`` (like tests/infra's ``infra_kit``).
sys.path.insert(0, str(Path(__file__).parent))

from browser_kit import launched_chromium


@pytest.fixture(scope="session")
def browser_context() -> Iterator[Any]:
    with launched_chromium() as context:
        yield context


@pytest.fixture
def page(browser_context: Any) -> Iterator[Any]:
    page = browser_context.new_page()
    try:
        yield page
    finally:
        page.close()
