"""Laying a table out in a given width: pure text in, lines out (no I/O, no Rich).

A terminal gets a table that fits its width: the wrapping column (REASON) is kept and
wrapped on word boundaries, long names are cut with an ellipsis, and only when that is
not enough are the optional columns dropped (highest ``drop`` first). A pipe or a file
(``width=None``) gets every column at its natural width, one line per row, for ``awk``
and ``grep``; nothing is wrapped there.
"""

from __future__ import annotations

import textwrap
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass

GAP = 2
# The wrapping column is narrowed to this before any optional column is dropped, and
# to its hard floor only when nothing else is left to give.
COMFORTABLE = 30
FLOOR = 12


@dataclass(frozen=True)
class Column:
    """How one column behaves when space runs out.

    ``wrap``: its cells wrap onto more lines (at most one such column, the last best);
    ``limit``: cells longer than this are cut with "…" (0: no limit);
    ``minimum``: how narrow a cut column may get on a narrow terminal;
    ``right``: right-aligned (numbers);
    ``drop``: 0 = always shown, otherwise dropped when the width runs out, highest first.
    """

    name: str
    wrap: bool = False
    limit: int = 0
    minimum: int = 0
    right: bool = False
    drop: int = 0


# Defaults by header, so a caller may pass plain names (``display.table(("NAME", …))``).
KNOWN = {
    "REASON": Column("REASON", wrap=True),
    "NAME": Column("NAME", limit=32, minimum=16),
    "RESOURCE": Column("RESOURCE", limit=48, minimum=12, drop=5),
    "TARGET": Column("TARGET", limit=40, minimum=12, drop=6),
    "ACCOUNT": Column("ACCOUNT", limit=36, minimum=12, drop=4),
    "HOURS": Column("HOURS", right=True),
    "HOURS OFF": Column("HOURS OFF", right=True),
    "ACCRUING": Column("ACCRUING", right=True, drop=2),
    "SAVED": Column("SAVED", right=True),
    "COST": Column("COST", right=True),
}


def column(spec: str | Column) -> Column:
    if isinstance(spec, Column):
        return spec
    return KNOWN.get(spec, Column(spec))


def ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


def widths(
    columns: Sequence[Column], rows: Sequence[Sequence[str]], width: int | None
) -> list[int | None]:
    """Each column's width, or None for a column dropped to fit ``width``."""
    natural = [_natural(c, i, rows) for i, c in enumerate(columns)]
    if width is None:
        return list(natural)
    sized: list[int | None] = list(natural)
    floors = [max(len(c.name), c.minimum or len(c.name)) for c in columns]
    wrapping = [i for i, c in enumerate(columns) if c.wrap]

    def over() -> int:
        shown = [w for w in sized if w is not None]
        return sum(shown) + GAP * (len(shown) - 1) - width

    for i in wrapping:  # first the wrapping column, to a comfortable width
        sized[i] = max(min(natural[i], COMFORTABLE), natural[i] - max(over(), 0))
    for i, c in enumerate(columns):  # then cut names and ids to their minimum
        if over() > 0 and c.limit and not c.wrap:
            sized[i] = max(floors[i], natural[i] - over())
    for i in sorted((i for i, c in enumerate(columns) if c.drop), key=lambda i: -columns[i].drop):
        if over() > 0:  # then drop the optional columns
            sized[i] = None
    for i in wrapping:  # last, the wrapping column gives what is left above its floor
        current = sized[i] or 0
        if over() > 0:
            sized[i] = max(min(FLOOR, natural[i]), current - over())
    return sized


def _natural(c: Column, index: int, rows: Sequence[Sequence[str]]) -> int:
    longest = max((len(row[index]) for row in rows), default=0)
    found = max(len(c.name), longest)
    return min(found, max(c.limit, len(c.name))) if c.limit else found


def lines(
    columns: Sequence[Column],
    rows: Sequence[Sequence[str]],
    sized: Sequence[int | None],
    rule: bool = False,
    total: Sequence[str] | None = None,
    paint: Callable[[str, str, str], str] | None = None,
) -> Iterator[str]:
    """The table's lines: the header, a rule under it if ``rule``, the rows, and the
    ``total`` row (after a rule if ``rule``). ``paint(column, cell, padded)`` may dress
    a padded cell (colour); the alignment is computed on the plain text."""
    shown = [(c, i, w) for i, (c, w) in enumerate(zip(columns, sized, strict=True)) if w]
    yield _line([(c, c.name, w) for c, _, w in shown], None)
    if rule:
        yield _line([(c, "─" * w, w) for c, _, w in shown], None)
    for row in rows:
        yield from _row(shown, row, paint)
    if total is not None:
        if rule:
            yield _line([(c, "─" * w, w) for c, _, w in shown], None)
        yield from _row(shown, total, None)


def _row(
    shown: Sequence[tuple[Column, int, int]],
    row: Sequence[str],
    paint: Callable[[str, str, str], str] | None,
) -> Iterator[str]:
    cells: list[list[str]] = []
    for c, i, w in shown:
        text = row[i]
        if c.wrap and len(text) > w:
            cells.append(textwrap.wrap(text, w, break_on_hyphens=False) or [""])
        else:
            cells.append([ellipsis(text, w)])
    height = max(len(parts) for parts in cells)
    for n in range(height):
        parts = [
            (c, parts[n] if n < len(parts) else "", w)
            for (c, _, w), parts in zip(shown, cells, strict=True)
        ]
        yield _line(parts, paint if n == 0 else None)


def _line(
    parts: Sequence[tuple[Column, str, int]], paint: Callable[[str, str, str], str] | None
) -> str:
    out: list[str] = []
    last = len(parts) - 1
    for n, (c, text, w) in enumerate(parts):
        padded = text.rjust(w) if c.right else (text if n == last else text.ljust(w))
        out.append(paint(c.name, text, padded) if paint and text else padded)
    return (" " * GAP).join(out).rstrip()
