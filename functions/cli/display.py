"""How the command line shows things: tables, JSON and CSV, a progress line.

Tables and colour are for people: fitted to the terminal's width, colour only on a
terminal and never with ``NO_COLOR``; into a pipe or a file, plain aligned columns.
The progress line goes to stderr on a terminal only, and is cleared before the table.
JSON and CSV are for scripts: the same records, stable keys (``docs/cli-output.md``),
booleans as ``true``/``false`` in CSV. Tables are laid out by ``layout`` (plain
Python, fast for thousands of rows); Rich is imported only for a progress line or a
coloured sentence, so the cloud entry points never load it.
"""

from __future__ import annotations

import csv
import json
import os
import re
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, TextIO

from functions.cli import layout
from functions.safe_text import one_line

OUTPUTS = ("table", "json", "csv")
# The longest reason a table shows (it wraps on a terminal); the JSON has it whole.
REASON_WIDTH = 120
VALUE_WIDTH = 24
_QUOTED = re.compile(r"'([^']*)'")


ellipsis = layout.ellipsis


def short_reason(reason: str, problem: bool = False) -> str:
    """One short sentence for the table: the first line, long quoted values cut, a
    parser's explanation left to ``explain`` and the JSON output."""
    text = reason.splitlines()[0] if reason else ""
    if "; refused: this run would stop" in text:
        return "refused: over the max_stop_share limit (--force to allow)"
    text = _QUOTED.sub(lambda m: f"'{ellipsis(m.group(1), VALUE_WIDTH)}'", text)
    if problem:
        head, quote, _ = text.partition("': ")
        if quote:
            text = f"{head}' (offhours explain shows why)"
    return ellipsis(text, REASON_WIDTH)


def _color_allowed(stream: TextIO) -> bool:
    return stream.isatty() and "NO_COLOR" not in os.environ


def console(stream: TextIO | None = None) -> Any:
    """A Rich console for ``stream``: no colour unless a terminal without NO_COLOR, and
    no wrapping when the output goes to a file or a pipe."""
    from rich.console import Console

    stream = stream or sys.stdout
    tty = stream.isatty()
    screen = Console(
        file=stream,
        no_color=not _color_allowed(stream),
        color_system="auto" if _color_allowed(stream) else None,
        highlight=False,
        width=None if tty else 10_000,
        soft_wrap=not tty,
    )
    # Rich exits with 1 on a closed pipe; the command line stops quietly instead (cli.py).
    screen.on_broken_pipe = _broken_pipe  # type: ignore[method-assign]
    return screen


def _broken_pipe() -> None:
    raise BrokenPipeError


def terminal_width(stream: TextIO) -> int | None:
    """The width to fit: the terminal's (``COLUMNS`` wins, as for other tools), or None
    for a pipe or a file, where the table is never wrapped."""
    if not stream.isatty():
        return None
    try:
        return int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        pass
    try:
        return os.get_terminal_size(stream.fileno()).columns or 80
    except (OSError, ValueError):
        return 80


def table(
    columns: Sequence[str | layout.Column],
    rows: Sequence[Sequence[str]],
    stream: TextIO | None = None,
    style: Callable[[str, str], str] | None = None,
    total: Sequence[str] | None = None,
) -> None:
    """A table with one header row and an optional ``total`` row, fitted to the
    terminal (``functions/cli/layout.py``); plain aligned text into a pipe or a file.
    ``style(column, cell)`` names a colour ("yellow", "bold red") or ""."""
    stream = stream or sys.stdout
    # A name or tag with a line break or a terminal escape stays in its cell.
    rows = [_one_line_each(row) for row in rows]
    specs = [layout.column(c) for c in columns]
    width = terminal_width(stream)
    sized = layout.widths(specs, [*rows, *([total] if total else [])], width)
    paint = _painter(style) if style and _color_allowed(stream) else None
    text = layout.lines(specs, rows, sized, rule=width is not None, total=total, paint=paint)
    stream.write("\n".join(text) + "\n")


def total_row(columns: Sequence[str], cells: Mapping[str, str]) -> tuple[str, ...]:
    """A table's total line: "TOTAL" in the first column, ``cells`` by column name."""
    return tuple(cells.get(c, "TOTAL" if n == 0 else "") for n, c in enumerate(columns))


def paragraph(text: str, stream: TextIO | None = None) -> None:
    """A sentence for people: wrapped to a terminal's width, one line into a file."""
    stream = stream or sys.stdout
    width = terminal_width(stream)
    if width is not None and len(text) > width:
        import textwrap

        text = "\n".join(textwrap.wrap(text, width, break_on_hyphens=False))
    stream.write(text + "\n")


_ANSI = {"red": "31", "green": "32", "yellow": "33", "bold": "1", "dim": "2"}


def _painter(style: Callable[[str, str], str]) -> Callable[[str, str, str], str]:
    def paint(column: str, cell: str, padded: str) -> str:
        codes = ";".join(_ANSI[w] for w in style(column, cell).split() if w in _ANSI)
        return f"\x1b[{codes}m{padded}\x1b[0m" if codes else padded

    return paint


def _one_line_each(row: Sequence[str]) -> list[str]:
    return [one_line(cell, limit=len(cell) + 1) for cell in row]


def write_json(document: Mapping[str, Any], stream: TextIO | None = None) -> None:
    json.dump(document, stream or sys.stdout, indent=2, sort_keys=False, default=str)
    (stream or sys.stdout).write("\n")


def write_csv(
    columns: Sequence[str], records: Sequence[Mapping[str, Any]], stream: TextIO | None = None
) -> None:
    from ledger.export import LINE_END

    writer = csv.writer(stream or sys.stdout, lineterminator=LINE_END)
    writer.writerow(columns)
    for record in records:
        writer.writerow([csv_value(record.get(c)) for c in columns])


def csv_value(value: Any) -> Any:
    """A CSV cell: empty for None, ``true``/``false`` as in the JSON (not Python's
    ``True``); names and tags are text in a spreadsheet, never formulas."""
    from ledger.export import as_text

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return as_text(value) if isinstance(value, str) else value


def say(text: str, style: str = "", stream: TextIO | None = None) -> None:
    """A line for people; styled only where colour is allowed."""
    stream = stream or sys.stdout
    if style and _color_allowed(stream):
        try:
            from rich.text import Text
        except ModuleNotFoundError:
            pass
        else:
            console(stream).print(Text(text, style=style))
            return
    print(text, file=stream)


@contextmanager
def progress(label: str) -> Iterator[Callable[[str], None] | None]:
    """A transient status line on a terminal's stderr; nothing at all otherwise."""
    if not sys.stderr.isatty():
        yield None
        return
    try:
        from rich.console import Console
    except ModuleNotFoundError:
        yield None
        return
    status = Console(stderr=True, no_color="NO_COLOR" in os.environ).status(label)
    status.start()
    try:
        yield status.update
    finally:
        status.stop()  # transient: the line is gone before the table is printed
