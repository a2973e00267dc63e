"""Reading one ledger object (``ledger.book.decode``): the one-scan reader, and orjson's
parser (what the digest passes), give exactly the rows, and the errors, of reading each
line with ``json.loads``."""

from __future__ import annotations

import gzip
import json
from typing import Any

import orjson
import pytest

from ledger.book import LedgerReadError, Loads, _scan_lines, decode, encode

PARSERS = pytest.mark.parametrize("loads", [None, orjson.loads], ids=["json", "orjson"])

ROWS: list[dict[str, Any]] = [
    {"x_Action": "stop", "Tags": {"team": "web", "note": "caf\u00e9 \u2028 \\n"}, "n": 1.5},
    {"x_Action": "start", "Tags": {}, "ListUnitPrice": None, "big": 12345678901234567890},
    {"x_Action": "snooze", "ResourceName": "\U0001f600 emoji", "flag": True},
]


def gz(text: bytes) -> bytes:
    return gzip.compress(text, mtime=0)


def per_line(raw: bytes) -> list[dict[str, Any]]:
    return [json.loads(line) for line in raw.splitlines() if line.strip()]


@PARSERS
def test_rows_written_by_encode_read_back_unchanged(loads: Loads | None) -> None:
    assert list(decode(encode(ROWS), loads)) == ROWS
    assert list(decode(encode([]), loads)) == []


def test_the_standard_parser_reads_encoded_objects_in_one_scan() -> None:
    # ... by the one-scan reader: what ``encode`` writes never needs the line-by-line one
    assert _scan_lines(gzip.decompress(encode(ROWS))) == ROWS


@PARSERS
@pytest.mark.parametrize(
    "raw",
    [
        b'{"a":1}\r\n{"b":2}\r\n',  # CRLF
        b'{"a":1}\n\n  {"b":2}  \n',  # a blank line, spaces around a row
        b'\xef\xbb\xbf{"a":1}\n{"b":2}',  # a byte-order mark, no final newline
        b'{"a":"\\u00e9"}\n',
        b"\n",
        b'{"a":"\\ud800"}\n',  # a lone surrogate: orjson refuses it, json reads it
        b'{"a":1e400}\n',  # json reads inf (verify reports it); orjson refuses it
        b'{"a":1}\r{"b":2}\n',  # a bare CR ends a line for the line-by-line reader
    ],
)
def test_other_whole_json_lines_read_as_json_loads_reads_them(
    raw: bytes, loads: Loads | None
) -> None:
    assert list(decode(gz(raw), loads)) == per_line(raw)


@PARSERS
@pytest.mark.parametrize(
    ("raw", "message"),
    [
        (b'{"a":1},{"b":2}\n{"x":[1\n2]}\n', "line 1: Extra data"),
        (b'{"a":1}{"b":2}\n', "line 1: Extra data"),
        (b'{"a":1}\n{"a":NaN}\n', "line 2: NaN is not JSON"),
        (b'{"a":1}\n{"a":-Infinity}\n', "line 2: -Infinity is not JSON"),
        (b'{"a":1}\n[{"a":1}]\n', "line 2: not a JSON object"),
        (b'{"a":1}\n{"a":"x\ty"}\n', "line 2: Invalid control character"),
        (b'{"a":1}\n{"a":', "line 2: Expecting value"),
    ],
)
def test_a_wrong_line_is_named_whatever_else_the_object_holds(
    raw: bytes, message: str, loads: Loads | None
) -> None:
    with pytest.raises(LedgerReadError, match=message):
        list(decode(gz(raw), loads))


def test_not_gzip_is_a_read_error() -> None:
    with pytest.raises(LedgerReadError, match="not a whole gzip object"):
        decode(encode(ROWS)[:-8])
