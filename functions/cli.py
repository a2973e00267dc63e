"""The ``offhours`` command line.

Each command group lives in its own module with ``register(subparsers)``; the
parser for every group is built here so ``offhours --help`` lists them all.
Errors a user can fix are printed as one line on stderr with exit code 2, never as a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# Modules that add their commands to the parser: ``register(subparsers)`` each.
COMMAND_MODULES = (
    "functions.run_cli",
    "functions.ledger_cli",
    "functions.schedule_cli",
    "functions.demo",
)


class UsageError(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="offhours",
        description="Turn off cloud resources nobody is using, on a schedule; prove the savings.",
    )
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        code: int = args.handler(args)
    except UsageError as err:
        print(f"offhours: {err}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
