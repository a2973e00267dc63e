"""The browser kit itself: Chromium starts headless on the closed network and lays out."""

from __future__ import annotations

from typing import Any

from browser_kit import scroll_width


def test_overflow_is_measured_against_the_viewport(page: Any) -> None:
    page.set_viewport_size({"width": 400, "height": 800})
    wide = "<div style='width:640px'>wide</div>"
    page.set_content(f"<html><body style='margin:0'>{wide}</body></html>")
    assert scroll_width(page) == 640

    page.set_content("<html><body style='margin:0'><p>fits</p></body></html>")
    assert scroll_width(page) == 400
