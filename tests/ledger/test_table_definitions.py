"""The SQL table definitions match the ledger: every column with a compatible type, and
the partition keys of the object layout.

docs/athena.sql is checked by a small purpose-built parser (the DDL subset we write:
one CREATE EXTERNAL TABLE with a column list, PARTITIONED BY, TBLPROPERTIES);
docs/bigquery-table.json is JSON.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

from ledger.book import object_key
from ledger.record import Row
from ledger.schema import COLUMN_NAMES, COLUMNS, PARTITION_KEYS

DOCS = Path(__file__).resolve().parents[2] / "docs"
ATHENA_TYPES = {
    "string": {"string"},
    "double": {"double", "decimal"},
    "timestamp": {"string", "timestamp"},
    "map": {"map<string,string>"},
}
BIGQUERY_TYPES = {
    "string": {"STRING"},
    "double": {"FLOAT64", "FLOAT", "NUMERIC"},
    "timestamp": {"TIMESTAMP", "STRING"},
    "map": {"JSON"},
}


def _strip_comments(sql: str) -> str:
    return "\n".join(line.split("--", 1)[0] for line in sql.splitlines())


def _balanced(text: str, start: int) -> tuple[str, int]:
    """The text inside the parenthesis opening at ``start``, and the index after it."""
    assert text[start] == "("
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return text[start + 1 : i], i + 1
    raise AssertionError("unbalanced parentheses")


def _columns(block: str) -> dict[str, str]:
    parts, depth, current = [], 0, ""
    for char in block:
        depth += {"<": 1, ">": -1, "(": 1, ")": -1}.get(char, 0)
        if char == "," and depth == 0:
            parts.append(current)
            current = ""
        else:
            current += char
    parts.append(current)
    columns = {}
    for part in filter(str.strip, parts):
        name, kind = part.strip().split(None, 1)
        columns[name.strip("`")] = re.sub(r"\s+", "", kind).lower()
    return columns


def parse_athena(sql: str) -> tuple[dict[str, str], dict[str, str], dict[str, str], str]:
    text = _strip_comments(sql)
    match = re.search(r"CREATE\s+EXTERNAL\s+TABLE\s+(IF\s+NOT\s+EXISTS\s+)?\w+\s*", text, re.I)
    assert match, "no CREATE EXTERNAL TABLE"
    columns, after = _balanced(text, match.end())
    part = re.compile(r"\s*PARTITIONED\s+BY\s*", re.I).match(text, after)
    assert part, "no PARTITIONED BY"
    partitions, after = _balanced(text, part.end())
    props_at = re.search(r"TBLPROPERTIES\s*", text[after:], re.I)
    assert props_at
    props_text, _ = _balanced(text, after + props_at.end())
    props = dict(re.findall(r"'([^']+)'\s*=\s*'([^']*)'", props_text))
    location = re.search(r"LOCATION\s+'([^']+)'", text, re.I)
    assert location
    return _columns(columns), _columns(partitions), props, location[1]


def _layout_keys() -> list[str]:
    key = object_key("aws", "123456789012", "eu-west-1", datetime(2026, 11, 28, tzinfo=UTC))
    return [p.split("=", 1)[0] for p in key.split("/") if "=" in p]


def test_schema_lists_exactly_the_columns_rows_have() -> None:
    row = Row(
        run_id="r",
        recorded_at=datetime(2026, 11, 28, tzinfo=UTC),
        provider="aws",
        account="1",
        region="r",
        kind="ec2",
        resource_id="i",
        resource_name="n",
        size="s",
        service="x",
        tags={},
        action="stop",
        outcome="done",
        reason="why",
    ).to_dict()
    assert list(row) == list(COLUMN_NAMES)


def test_partition_keys_match_the_object_layout() -> None:
    assert tuple(_layout_keys()) == PARTITION_KEYS


def test_athena_ddl_has_every_column_with_a_compatible_type_and_the_layout() -> None:
    columns, partitions, props, location = parse_athena((DOCS / "athena.sql").read_text())
    for col in COLUMNS:
        assert col.name in columns, f"{col.name} missing from athena.sql"
        assert columns[col.name] in ATHENA_TYPES[col.type], (col.name, columns[col.name])
    assert set(columns) == set(COLUMN_NAMES)
    assert list(partitions) == list(PARTITION_KEYS)
    assert all(kind == "string" for kind in partitions.values())
    assert props["projection.enabled"] == "true"
    for key in PARTITION_KEYS:
        assert f"projection.{key}.type" in props
    template = props["storage.location.template"]
    assert template == location + "/".join(f"{k}=${{{k}}}" for k in PARTITION_KEYS) + "/"
    assert location.endswith("ledger/v1/")


def test_bigquery_definition_has_every_column_and_hive_partitions() -> None:
    doc = json.loads((DOCS / "bigquery-table.json").read_text())
    fields = {f["name"]: f["type"] for f in doc["schema"]["fields"]}
    assert list(fields) == list(COLUMN_NAMES)
    for col in COLUMNS:
        assert fields[col.name] in BIGQUERY_TYPES[col.type], (col.name, fields[col.name])
    assert doc["sourceFormat"] == "NEWLINE_DELIMITED_JSON"
    assert doc["compression"] == "GZIP"
    hive = doc["hivePartitioningOptions"]
    prefix, *keys = hive["sourceUriPrefix"].split("/{")
    assert [k.split(":")[0] for k in keys] == list(PARTITION_KEYS)
    assert prefix.endswith("ledger/v1")
    assert all(uri.startswith(prefix) for uri in doc["sourceUris"])


def test_ledger_doc_describes_every_column() -> None:
    text = (DOCS / "ledger.md").read_text()
    for name in COLUMN_NAMES:
        assert f"| `{name}` |" in text, f"{name} is not documented in docs/ledger.md"
    assert "FOCUS 1.2" in text
