"""The ``offhours`` command line.

Each command group lives in its own module with ``register(subparsers)``; the
parser for every group is built here so ``offhours --help`` lists them all.
Errors a user can fix are printed as one line on stderr with exit code 2, never as a
traceback.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import sys
from collections.abc import Sequence
from datetime import UTC, datetime

# Modules that add their commands to the parser: ``register(subparsers)`` each.
COMMAND_MODULES = (
    "functions.run_cli",
    "functions.ledger_cli",
    "functions.schedule_cli",
    "functions.demo",
    "functions.digest_cli",
)


class UsageError(Exception):
    """A problem the user can fix: printed as one line, exit code 2."""


def instant(text: str | None) -> datetime:
    """``--at``: an ISO 8601 instant with an offset (never a guessed zone); default now."""
    if not text:
        return datetime.now(UTC)
    try:
        at = datetime.fromisoformat(text)
    except ValueError as err:
        raise UsageError(f"--at {text!r} is not an ISO 8601 instant") from err
    if at.tzinfo is None:
        raise UsageError(f"--at {text!r} has no UTC offset (add Z or +01:00)")
    return at


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="offhours",
        description="Turn off cloud resources nobody is using, on a schedule; prove the savings.",
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log details and tracebacks")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    return parser


class _Brief(logging.Formatter):
    """One line per log record on a terminal; tracebacks only with --verbose."""

    def __init__(self, verbose: bool) -> None:
        super().__init__("offhours: %(message)s")
        self.verbose = verbose

    def format(self, record: logging.LogRecord) -> str:
        if self.verbose:
            return super().format(record)
        brief = {**record.__dict__, "exc_info": None, "exc_text": None}
        return super().format(logging.makeLogRecord(brief))


def _configure_logging(verbose: bool) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Brief(verbose))
    root = logging.getLogger("offhours")
    root.handlers[:] = [handler]
    # Without --verbose the report already prints every error once; logs would repeat it.
    root.setLevel(logging.DEBUG if verbose else logging.CRITICAL)
    root.propagate = False


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code: int = args.handler(args)
    except UsageError as err:
        print(f"offhours: {err}", file=sys.stderr)
        return 2
    except ValueError as err:
        # A damaged ledger object (named in the message): not a usage error, not a bug.
        from ledger.book import LedgerReadError

        if not isinstance(err, LedgerReadError):
            raise
        print(f"offhours: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    return code


if __name__ == "__main__":
    sys.exit(main())
