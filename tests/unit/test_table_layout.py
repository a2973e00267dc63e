"""Tables that fit: the pure layout (``functions/cli/layout.py``) and the CSV cells."""

from __future__ import annotations

import io
import re

from functions.cli import display, layout

PLAN = ("TARGET", "RESOURCE", "KIND", "NAME", "STATE", "ACTION", "REASON")
ROW = (
    "aws:123456789012/eu-west-1",
    "i-0123456789abcdef0",
    "ec2",
    "build-agent-with-a-rather-long-name-indeed",
    "running",
    "stop",
    "office-hours: off since Mon 19:00 Europe/Berlin; the rest of the sentence is kept",
)


def render(columns: tuple[str, ...], rows: list[tuple[str, ...]], width: int | None) -> list[str]:
    specs = [layout.column(c) for c in columns]
    return list(layout.lines(specs, rows, layout.widths(specs, rows, width), rule=bool(width)))


def test_at_80_columns_ids_go_first_and_the_reason_is_kept_whole() -> None:
    lines = render(PLAN, [ROW], 80)
    assert all(len(line) <= 80 for line in lines)
    assert lines[0].split() == ["KIND", "NAME", "STATE", "ACTION", "REASON"]
    start = lines[0].index("REASON")
    reason = " ".join(line[start:].strip() for line in lines[2:])
    assert reason == ROW[-1]


def test_a_wide_terminal_keeps_every_column_on_one_line() -> None:
    lines = render(PLAN, [ROW], 250)
    assert lines[0].split() == list(PLAN)
    assert len(lines) == 3 and ROW[-1] in lines[2]


def test_into_a_file_every_row_is_one_aligned_line() -> None:
    rows = [ROW, ("aws:1/us-east-1", "i-1", "rds", "db", "stopped", "skip", "no schedule tag")]
    lines = render(PLAN, rows, None)
    assert len(lines) == 3  # header and two rows: no rule, no wrapping
    starts = [line.index("REASON") for line in lines[:1]]
    assert lines[1][starts[0] :].startswith("office-hours") and lines[2][starts[0] :] == rows[1][6]
    # Long names are cut with an ellipsis at their limit even in a file.
    assert "build-agent-with-a-rather-long-…" in lines[1]


def test_numbers_align_right_and_the_total_line_comes_last() -> None:
    out = io.StringIO()
    columns = ("KIND", "NAME", "HOURS OFF", "SAVED")
    rows = [("ec2", "a", "12.00", "1.11 USD"), ("rds", "b", "120.50", "10.96 USD")]
    total = display.total_row(columns, {"HOURS OFF": "132.50", "SAVED": "12.07 USD"})
    display.table(columns, rows, stream=out, total=total)
    lines = out.getvalue().splitlines()
    assert lines[-1].startswith("TOTAL") and lines[-1].endswith("12.07 USD")
    assert len({len(line) for line in lines}) == 1  # right-aligned last column: same width


def test_colour_only_on_a_terminal() -> None:
    out = io.StringIO()
    display.table(("ACTION",), [("stop",)], stream=out, style=lambda c, v: "yellow")
    assert not re.search(r"\x1b\[", out.getvalue())


def test_csv_booleans_are_lowercase() -> None:
    out = io.StringIO()
    display.write_csv(["id", "problem", "price"], [{"id": "i-1", "problem": True}], out)
    assert out.getvalue().splitlines()[1] == "i-1,true,"


def test_a_table_into_a_file_loads_no_rich() -> None:
    """Into a pipe or a file a table is plain Python: Rich is never imported for it."""
    import subprocess
    import sys
    from pathlib import Path

    probe = (
        "import io, sys; from functions.cli import display; "
        "rows = [('ec2', 'a', 'b')] * 1000; "
        "display.table(('KIND', 'NAME', 'REASON'), rows, stream=io.StringIO()); "
        "print('rich' in sys.modules)"
    )
    root = Path(__file__).resolve().parents[2]
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, cwd=root
    )
    assert done.stdout.strip() == "False"
