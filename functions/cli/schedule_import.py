"""``offhours schedule import --from instance-scheduler FILE``: another scheduler's
schedules as an offhours catalog, so a fleet moves over without retagging.

The catalog (YAML) goes to ``--out`` or stdout; what could not be expressed goes to
stderr, one line each. Exit 0 when every schedule converted, 1 when some could not
(they are left out of the catalog, never approximated), 2 for an unreadable file.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from functions.cli.main import UsageError

SOURCES = ("instance-scheduler", "custodian")


def register(actions: Any) -> None:
    parser = actions.add_parser("import", help="convert another scheduler's schedules to a catalog")
    parser.add_argument("file", metavar="FILE", help="the export to read")
    parser.add_argument(
        "--from",
        dest="source",
        choices=SOURCES,
        required=True,
        help=(
            "instance-scheduler: its DynamoDB config table (scan JSON or export lines) -> "
            "a catalog; custodian: a policy file's offhour/onhour filters -> settings"
        ),
    )
    parser.add_argument(
        "--out", metavar="FILE", help="catalog (or settings) file to write (default: stdout)"
    )
    parser.set_defaults(handler=_import)


def read_export(path: Path) -> Any:
    """A scan document (one JSON value) or a DynamoDB export (one JSON object a line)."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise UsageError(f"cannot read {path}: {err}") from err
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as err:
        raise UsageError(f"{path}: not JSON or JSON lines ({err.msg}, line {err.lineno})") from err


def _import(args: argparse.Namespace) -> int:
    if args.source == "custodian":
        return _from_custodian(args)
    import yaml

    from schedules.instance_scheduler import convert, items

    result = convert(items(read_export(Path(args.file))))
    text = "# Converted from Instance Scheduler on AWS by offhours schedule import\n"
    text += yaml.safe_dump(result.catalog(), sort_keys=False, default_flow_style=False)
    _write(text, args.out)
    for line in [*result.notes, *result.problems]:
        print(f"offhours: {line}", file=sys.stderr)
    print(
        f"offhours: {len(result.schedules)} schedules converted, "
        f"{len(result.problems)} not converted",
        file=sys.stderr,
    )
    return 1 if result.problems else 0


def _from_custodian(args: argparse.Namespace) -> int:
    """The policies' offhour/onhour options as an offhours settings file (``--config``);
    the resources' tag values are read as they are, nothing to convert there."""
    import yaml

    from schedules.custodian_policy import convert_policies

    path = Path(args.file)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as err:
        raise UsageError(f"cannot read {path}: {err}") from err
    result = convert_policies(document)
    if not result.settings:
        raise UsageError(f"{path}: no policy with an offhour or onhour filter")
    text = "# offhours settings (offhours --config FILE), from Cloud Custodian policies\n"
    text += yaml.safe_dump(result.settings, sort_keys=False, default_flow_style=False)
    _write(text, args.out)
    for line in result.problems:
        print(f"offhours: {line}", file=sys.stderr)
    return 1 if result.problems else 0


def _write(text: str, out: str | None) -> None:
    if out:
        Path(out).write_text(text, encoding="utf-8")
    else:
        sys.stdout.write(text)
