"""The shape of the product code: lines, the longest functions and the most complex ones.

Usage: .venv/bin/python bench/code_shape.py [--top 5] [ROOT]

Counts, per room (``functions/``, ``providers/``, ``ledger/``, ``schedules/``), the lines
of product code (non-blank, not comment-only) and lists the longest functions (lines from
``def`` to the last line of the body) and the highest cyclomatic complexity, as ruff's
``C901`` computes it (the same rule ``make lint`` caps at 15).
"""

from __future__ import annotations

import argparse
import ast
import json
import re
import subprocess
import sys
from pathlib import Path

ROOMS = ("functions", "providers", "ledger", "schedules")
RUFF_COMPLEXITY = re.compile(r"`(?P<name>[^`]+)` is too complex \((?P<score>\d+) > 0\)")


def code_lines(path: Path) -> int:
    lines = path.read_text(encoding="utf-8").splitlines()
    return sum(1 for line in lines if line.strip() and not line.strip().startswith("#"))


def function_lengths(path: Path) -> list[tuple[int, str]]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
            length = (node.end_lineno or node.lineno) - node.lineno + 1
            found.append((length, f"{path}:{node.lineno} {node.name}"))
    return found


def complexities(root: Path) -> list[tuple[int, str]]:
    ruff = Path(sys.executable).with_name("ruff")
    completed = subprocess.run(
        [
            str(ruff),
            "check",
            "--select",
            "C901",
            "--config",
            "lint.mccabe.max-complexity=0",
            "--output-format",
            "json",
            "--exit-zero",
            *ROOMS,
        ],
        cwd=root,
        capture_output=True,
        text=True,
        check=True,
    )
    found = []
    for item in json.loads(completed.stdout):
        match = RUFF_COMPLEXITY.search(item["message"])
        if match:
            where = (
                f"{Path(item['filename']).relative_to(root.resolve())}:{item['location']['row']}"
            )
            found.append((int(match["score"]), f"{where} {match['name']}"))
    return found


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("root", nargs="?", default=".")
    parser.add_argument("--top", type=int, default=5)
    args = parser.parse_args()
    root = Path(args.root)
    lengths: list[tuple[int, str]] = []
    total = 0
    for room in ROOMS:
        files = sorted((root / room).rglob("*.py"))
        lines = sum(code_lines(path) for path in files)
        total += lines
        print(f"{room + '/':<12} {len(files):>4} files {lines:>7} lines of code")
        for path in files:
            lengths.extend(function_lengths(path))
    print(f"{'total':<12} {'':>10} {total:>7} lines of code")
    scores = complexities(root)
    print(f"functions over 60 lines: {sum(1 for n, _ in lengths if n > 60)}")
    print(f"functions over complexity 15: {sum(1 for n, _ in scores if n > 15)}")
    print("longest functions:")
    for length, where in sorted(lengths, reverse=True)[: args.top]:
        print(f"  {length:>4} lines  {where}")
    print("most complex functions:")
    for score, where in sorted(scores, reverse=True)[: args.top]:
        print(f"  {score:>4}        {where}")


if __name__ == "__main__":
    main()
