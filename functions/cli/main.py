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
import os
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import NoReturn

# Modules that add their commands to the parser: ``register(subparsers)`` each.
COMMAND_MODULES = (
    "functions.cli.run",
    "functions.cli.wake",
    "functions.cli.inventory",
    "functions.cli.ledger",
    "functions.cli.schedule",
    "functions.cli.demo",
    "functions.cli.digest",
    "functions.cli.bill",
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


# One example per command, shown at the end of its --help.
EXAMPLES = {
    "plan": "offhours plan --region eu-west-1 --output json | jq '.decisions[].action'",
    "run": "offhours run --region eu-west-1 --dry-run",
    "explain": "offhours explain i-0abc123 --region eu-west-1",
    "wake": "offhours wake my-endpoint i-0abc123 --for 2h --region eu-west-1",
    "inventory": "offhours inventory --region eu-west-1 --output json | jq '.targets'",
    "ledger": "offhours ledger show --week 2026-W48 --ledger s3://my-bucket/offhours",
    "ledger show": "offhours ledger show --week 2026-W48 --output csv > w48.csv",
    "ledger export": "offhours ledger export --week 2026-W48 --format csv --out w48.csv",
    "ledger verify": "offhours ledger verify --ledger s3://my-bucket/offhours",
    "digest": "offhours digest --week 2026-W48 --preview digest.html",
    "schedule": "offhours schedule state office-hours",
    "schedule state": "offhours schedule state office-hours --at 2026-11-27T20:00:00Z",
    "schedule next": 'offhours schedule next "mon-fri 08:00-19:00 Europe/Berlin"',
    "schedule check": "offhours schedule check my-catalog.yaml",
    "schedule list": "offhours schedule list --catalog ./schedules",
    "bill": "offhours bill check --week 2026-W48 --bill ./focus-export/",
    "bill check": "offhours bill check --week 2026-W48 --bill s3://billing/focus/ -o json",
    "bill opportunities": "offhours bill opportunities --bill focus.parquet -o json",
    "demo": "offhours demo",
    "completion": 'eval "$(offhours completion bash)"',
}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("offhours")
    except PackageNotFoundError:
        return "unknown"


class _Parser(argparse.ArgumentParser):
    """argparse with a one-line usage error (the full usage is one ``--help`` away)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="offhours",
        description="Turn off cloud resources nobody is using, on a schedule; prove the savings.",
        epilog="example: offhours plan --region eu-west-1",
    )
    parser.add_argument("--version", action="version", version=f"offhours {_version()}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log details and tracebacks")
    subparsers = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in COMMAND_MODULES:
        importlib.import_module(name).register(subparsers)
    from functions.cli.completion import register as register_completion

    register_completion(subparsers)
    for path, sub in walk(parser):
        # -v works after the subcommand too; SUPPRESS keeps a top-level -v when absent.
        sub.add_argument(
            "-v",
            "--verbose",
            action="store_true",
            default=argparse.SUPPRESS,
            help=argparse.SUPPRESS,
        )
        if path in EXAMPLES and not sub.epilog:
            sub.epilog = f"example: {EXAMPLES[path]}"
    return parser


def walk(
    parser: argparse.ArgumentParser, path: str = ""
) -> list[tuple[str, argparse.ArgumentParser]]:
    """Every subcommand parser below ``parser``, with its path (``ledger show``)."""
    found: list[tuple[str, argparse.ArgumentParser]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                here = f"{path} {name}".strip()
                found.append((here, sub))
                found.extend(walk(sub, here))
    return found


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
    # The SDKs' own warnings (a credential chain explaining each step it tried) would
    # bury the one line that says what failed; --verbose shows them.
    # (A root that already has handlers belongs to whoever embeds the CLI: left alone.)
    top = logging.getLogger()
    if not top.handlers:
        top.addHandler(logging.StreamHandler(sys.stderr) if verbose else logging.NullHandler())


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    _configure_logging(args.verbose)
    try:
        code: int = args.handler(args)
        sys.stdout.flush()
    except UsageError as err:
        return _fail(str(err), 2)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (``| head``): stop quietly, as other Unix tools do.
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 141
    except Exception as err:  # the last line of defence: one line, the traceback with -v
        from functions.errors import describe

        if args.verbose:
            logging.getLogger("offhours").exception("failed")
        message, code = describe(err)
        return _fail(message, code)
    return code


def _fail(message: str, code: int) -> int:
    first = message.strip().splitlines()[0] if message.strip() else "failed"
    print(f"offhours: {first}", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main())
