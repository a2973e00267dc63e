"""Benchmark the command line's table into a file: 1,000 rows of a plan.

Usage: .venv/bin/python bench/bench_table.py [--rows 1000] [--repeat 5]

Lays out and writes a plan-shaped table (KIND, NAME, STATE, ACTION, REASON, a total
line) to a temporary file, as ``offhours run > out.txt`` does, and prints the best and
the median of ``--repeat`` writes. The aim is under 50 ms for 1,000 rows.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from functions.cli import display

COLUMNS = ("KIND", "NAME", "STATE", "ACTION", "REASON")


def rows(count: int) -> list[tuple[str, ...]]:
    return [
        (
            "ec2",
            f"build-agent-{n:05d}",
            "running",
            "stop" if n % 2 else "skip",
            "office-hours: off since Mon 19:00 Europe/Berlin" if n % 2 else "no schedule tag",
        )
        for n in range(count)
    ]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    table = rows(args.rows)
    total = display.total_row(COLUMNS, {"NAME": f"{args.rows} resources"})
    times = []
    with tempfile.TemporaryFile("w+", encoding="utf-8") as out:
        for _ in range(args.repeat):
            out.seek(0)
            out.truncate()
            started = time.perf_counter()
            display.table(COLUMNS, table, stream=out, total=total)
            out.flush()
            times.append((time.perf_counter() - started) * 1000)
        size = out.tell()
    print(
        f"{args.rows} rows into a file: best {min(times):.1f} ms, "
        f"median {statistics.median(times):.1f} ms ({size:,} bytes)"
    )


if __name__ == "__main__":
    main()
