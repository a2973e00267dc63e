"""The digest in a real browser: no horizontal overflow at 400 px and 800 px, readable
text contrast everywhere, and the cloud colours as rendered."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

HERE = Path(__file__).parent
sys.path.insert(0, str(HERE.parent / "ledger"))
sys.path.insert(0, str(HERE.parent / "digest"))

from browser_kit import scroll_width  # noqa: E402
from contrast import contrast  # noqa: E402
from trend_week import END, LONG_TEAM, MON, NOW, build_trend_ledger  # noqa: E402

from functions.jobs.digest import (  # noqa: E402
    PROVIDER_COLOURS,
    DigestSettings,
    Window,
    compose,
    write_preview,
)
from functions.jobs.digest_names import team_stems  # noqa: E402

WIDTHS = (400, 800)
# Every text node's colour and the first opaque background behind it.
TEXT_COLOURS = """() => {
  const rgb = (c) => {
    const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null;
    const p = m[1].split(',').map(Number);
    return p.length > 3 && p[3] === 0 ? null : p.slice(0, 3);
  };
  const behind = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor); if (c) return c;
    }
    return [255, 255, 255];
  };
  const out = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode; const text = node.textContent.trim();
    if (!text || text === '\\u00a0') continue;
    const el = node.parentElement; const s = getComputedStyle(el);
    out.push({text: text.slice(0, 40), fg: rgb(s.color), bg: behind(el),
              size: parseFloat(s.fontSize), bold: parseInt(s.fontWeight) >= 700});
  }
  return out;
}"""
SWATCHES = """(selector) => Array.from(document.querySelectorAll(selector)).map(
  (e) => [e.dataset.cloud, getComputedStyle(e).backgroundColor,
          e.getBoundingClientRect().width])"""


@pytest.fixture(scope="module")
def pages(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The fleet digest and the team digests with the longest and the non-ASCII names."""
    root = tmp_path_factory.mktemp("digest-browser")
    ledger = build_trend_ledger(root / "ledger")
    digest = compose(
        ledger.store, Window(MON, END, "UTC", NOW), DigestSettings(ledger=str(ledger.root))
    )
    paths = write_preview(digest, root / "out" / "digest.html")
    html = {p.name: p for p in paths if p.suffix == ".html"}
    assert len(html) == len(digest.teams) + 1
    stems = team_stems(t.team for t in digest.teams if t.team)
    return {
        "fleet": html["digest.html"],
        "long-team": html[f"digest-team-{stems[LONG_TEAM]}.html"],
        "non-ascii-team": html[f"digest-team-{stems['Équipe données']}.html"],
    }


def _shots(page: Any, pages: dict[str, Path], out: Path) -> Iterator[tuple[str, int]]:
    for name, path in pages.items():
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.goto(path.as_uri())
            page.wait_for_load_state("load")
            shot = out / f"{name}-{width}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.read_bytes().startswith(b"\x89PNG")
            assert scroll_width(page) == width, f"{name} overflows at {width} px"
            yield name, width


def test_digest_fits_400_and_800_px_without_horizontal_scroll(
    page: Any, pages: dict[str, Path], tmp_path: Path
) -> None:
    seen = list(_shots(page, pages, tmp_path))
    assert len(seen) == len(pages) * len(WIDTHS)


def test_text_contrast_and_cloud_colours_as_rendered(page: Any, pages: dict[str, Path]) -> None:
    page.set_viewport_size({"width": 400, "height": 900})
    page.goto(pages["fleet"].as_uri())
    texts = page.evaluate(TEXT_COLOURS)
    assert len(texts) > 50
    for item in texts:
        ratio = contrast(tuple(item["fg"]), tuple(item["bg"]))
        large = item["size"] >= 24 or (item["bold"] and item["size"] >= 18.66)
        assert ratio >= (3.0 if large else 4.5), item  # WCAG 1.4.3 (AA)
    swatches = {cloud: colour for cloud, colour, _ in page.evaluate(SWATCHES, ".cloud-swatch")}
    assert set(swatches) == {"aws", "gcp", "azure"}
    for cloud, colour in swatches.items():
        assert _hex(colour) == PROVIDER_COLOURS[cloud]
    assert len(set(swatches.values())) == 3
    # The day bars are drawn (width on screen) in the same colours, with no image at all.
    segments = page.evaluate(SWATCHES, ".day-segment")
    assert segments and all(width > 0 for _, _, width in segments)
    assert all(_hex(colour) == PROVIDER_COLOURS[cloud] for cloud, colour, _ in segments)
    assert page.evaluate("() => document.images.length") == 0


def _hex(colour: str) -> str:
    r, g, b = (int(c) for c in colour[colour.index("(") + 1 : -1].split(","))
    return f"#{r:02x}{g:02x}{b:02x}"
