"""A headless Chromium for tests that need a real browser (snooze pages, digest layout).

Debian's ``chromium`` drives through PyPI's ``playwright`` (its own browser downloads are
not reachable here). The flags keep it from reaching for the network at start-up, which
on a closed network stalls it; each launch gets a fresh profile directory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
)


def chromium_path() -> str | None:
    explicit = os.environ.get("OFFHOURS_CHROMIUM")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


@contextmanager
def launched_chromium() -> Iterator[Any]:
    """Yields a Playwright ``Browser``; closed (and its profile removed) on exit."""
    from playwright.sync_api import sync_playwright

    executable = chromium_path()
    if executable is None:
        raise RuntimeError(
            "no chromium on this machine: `bash .ci/install-tools.sh` installs Debian's "
            "chromium (or set OFFHOURS_CHROMIUM to a Chromium binary)"
        )
    with (
        tempfile.TemporaryDirectory(prefix="offhours-chromium-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile, executable_path=executable, headless=True, args=list(CHROMIUM_ARGS)
        )
        try:
            yield context
        finally:
            context.close()


def scroll_width(page: Any) -> int:
    """The page's full layout width: wider than the viewport means horizontal overflow."""
    return int(page.evaluate("document.documentElement.scrollWidth"))
