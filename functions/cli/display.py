"""How the command line shows things: tables (Rich), JSON and CSV, a progress line.

Tables and colour are for people: colour only on a terminal and never with ``NO_COLOR``;
the progress line goes to stderr on a terminal only, and is cleared before the table.
JSON and CSV are for scripts: the same records, stable keys (``docs/cli-output.md``).
Rich is imported here only, and only when a table or a progress line is drawn, so the
cloud entry points never load it.
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

from functions.safe_text import one_line

OUTPUTS = ("table", "json", "csv")
# A terminal narrower than this still gets whole words in the reason column.
REASON_WIDTH = 72
VALUE_WIDTH = 24
_QUOTED = re.compile(r"'([^']*)'")


def ellipsis(text: str, width: int) -> str:
    return text if len(text) <= width else text[: max(width - 1, 0)] + "…"


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


def table(
    columns: Sequence[str],
    rows: Sequence[Sequence[str]],
    stream: TextIO | None = None,
    style: Callable[[str, str], str] | None = None,
) -> None:
    """A table with one header row; ``style(column, cell)`` names a Rich style or ""."""
    try:
        from rich import box
        from rich.table import Table
        from rich.text import Text
    except ModuleNotFoundError:
        _plain(columns, rows, stream or sys.stdout)
        return
    stream = stream or sys.stdout
    # A rule under the header on a terminal; bare aligned columns for awk and grep.
    grid = Table(box=box.SIMPLE_HEAD if stream.isatty() else None, show_edge=False, pad_edge=False)
    for name in columns:
        grid.add_column(name, no_wrap=name != "REASON", overflow="fold")
    for row in rows:
        grid.add_row(
            *(
                Text(cell, style=style(col, cell) if style else "")
                for col, cell in zip(columns, _one_line_each(row), strict=True)
            )
        )
    console(stream).print(grid)


def _plain(columns: Sequence[str], rows: Sequence[Sequence[str]], stream: TextIO) -> None:
    """Without Rich (an install without the ``cli`` extra): tab-separated columns."""
    for row in [columns, *rows]:
        print("\t".join(_one_line_each(row)), file=stream)


def _one_line_each(row: Sequence[str]) -> list[str]:
    """A name or tag with a line break or a terminal escape stays in its cell."""
    return [one_line(cell, limit=len(cell) + 1) for cell in row]


def write_json(document: Mapping[str, Any], stream: TextIO | None = None) -> None:
    json.dump(document, stream or sys.stdout, indent=2, sort_keys=False, default=str)
    (stream or sys.stdout).write("\n")


def write_csv(
    columns: Sequence[str], records: Sequence[Mapping[str, Any]], stream: TextIO | None = None
) -> None:
    from ledger.export import LINE_END, as_text

    writer = csv.writer(stream or sys.stdout, lineterminator=LINE_END)
    writer.writerow(columns)
    for record in records:
        writer.writerow([_csv_value(record.get(c), as_text) for c in columns])


def _csv_value(value: Any, as_text: Callable[[str], str]) -> Any:
    """Names and tags are text in a spreadsheet, never formulas; numbers stay numbers."""
    if value is None:
        return ""
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
