"""The cloud-neutral provider modules at their edges: price tags that are not rates, a
price API that cannot be reached or answers nonsense, a price cache that is corrupt or
cannot be written, and a registry entry whose cloud package is not installed."""

from __future__ import annotations

import io
import json
import urllib.error
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

import providers
from providers.base import Price, Resource, ResourceState
from providers.prices import PriceTagError, parse_hourly, price_from_tag
from providers.pricing import PriceBook, PriceSourceError, Quote, get_json
from providers.store import LocalStore, StoreUnavailable

NOW = datetime(2026, 11, 28, 6, tzinfo=UTC)
KEY = "prices/v1/fake/ec2/eu-west-1.json"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("cheap", "not a decimal number"),
        ("nan", "not a decimal number"),
        ("inf", "not a decimal number"),
        ("-0.5", "not a decimal number"),
        ("10001", "is not an hourly rate"),
        # Issue 22: ``float`` took these, so they were rates.
        ("١٢", "not a decimal number"),  # Arabic-Indic twelve
        ("１２", "not a decimal number"),  # fullwidth twelve
        ("1_000", "not a decimal number"),
        ("1e3", "not a decimal number"),
        ("+5", "not a decimal number"),
        ("12\u200b", "not a decimal number"),
        ("1.5\u00a0", "not a decimal number"),
    ],
)
def test_a_price_tag_that_is_not_a_rate_is_refused(text: str, error: str) -> None:
    with pytest.raises(PriceTagError, match=error):
        parse_hourly(text)
    assert price_from_tag({"hourly-cost": text}) is None


def test_a_price_tag_is_read_only_from_a_tag_dict() -> None:
    assert parse_hourly(" 0.25 ") == 0.25
    assert [parse_hourly(t) for t in ("12", "0.5", ".5", "3.", "0")] == [12, 0.5, 0.5, 3, 0]
    assert price_from_tag({"hourly-cost": "1.5"}) == Price(1.5, "USD", "tag:hourly-cost")
    assert price_from_tag({"team": "ml"}) is None
    assert price_from_tag([("hourly-cost", "1.5")]) is None


class Opener:
    """Stands for ``urllib.request.urlopen``: answers ``body`` or raises ``error``."""

    def __init__(self, body: bytes = b"", error: Exception | None = None) -> None:
        self.body = body
        self.error = error
        self.urls: list[str] = []

    def __call__(self, request: Any, timeout: float) -> io.BytesIO:
        self.urls.append(request.full_url)
        if self.error is not None:
            raise self.error
        return io.BytesIO(self.body)


def test_get_json_turns_every_transport_or_format_failure_into_a_price_source_error() -> None:
    assert get_json("https://prices.test/a?x=1", Opener(b'{"a": 1}')) == {"a": 1}
    for opener in (
        Opener(error=urllib.error.URLError("no route")),
        Opener(error=TimeoutError("timed out")),
        Opener(b"<html>not json</html>"),
    ):
        with pytest.raises(PriceSourceError, match=r"^https://prices.test/a: ") as caught:
            get_json("https://prices.test/a?key=secret", opener)
        assert "secret" not in str(caught.value)  # the query string stays out of the error


class Source:
    """A price source that answers from a dict, or fails when ``down``."""

    name = "fake"
    provider = "aws"
    kinds = frozenset({"ec2"})

    def __init__(self, prices: dict[str, float], down: bool = False) -> None:
        self.prices = prices
        self.down = down
        self.asked: list[str] = []

    def fetch(self, kind: str, region: str, size: str) -> Quote | None:
        self.asked.append(size)
        if self.down:
            raise PriceSourceError("price API down")
        hourly = self.prices.get(size)
        return None if hourly is None else Quote(hourly)


def box(size: str, **extra: str) -> Resource:
    return Resource(
        "aws", "1", "eu-west-1", "ec2", "i-1", "b", {}, ResourceState.RUNNING, size, extra=extra
    )


def test_the_book_needs_a_zone_aware_now() -> None:
    with pytest.raises(ValueError, match="zone-aware"):
        PriceBook([], datetime(2026, 11, 28, 6))


def test_what_the_book_cannot_price_is_unknown_without_asking() -> None:
    source = Source({"m5.large": 0.1})
    book = PriceBook([source], NOW)
    assert book.lookup("gcp", "instances", "europe-west1", "e2-small") is None  # no source
    assert book.lookup("aws", "rds", "eu-west-1", "db.m5.large") is None  # kind not priced
    assert book.lookup("aws", "ec2", "eu-west-1", "") is None  # no size
    assert book.lookup("aws", "ec2", "", "m5.large") is None  # no region
    assert book.lookup_resource(box("m5.large", gpus="1")) is None  # the machine alone
    assert source.asked == []
    assert book.lookup_resource(box("m5.large")) == Price(0.1, "USD", "fake@2026-11-28")


def test_a_product_the_api_does_not_have_is_cached_as_unknown(tmp_path: Path) -> None:
    store = LocalStore(tmp_path)
    source = Source({})
    assert PriceBook([source], NOW, store).lookup("aws", "ec2", "eu-west-1", "x9.huge") is None
    entries = json.loads(store.get(KEY) or b"")["entries"]
    assert entries == {
        "x9.huge": {"currency": "USD", "fetched": "2026-11-28T06:00:00Z", "hourly": None}
    }
    # Within the week the unknown answer is trusted: the API is not asked again.
    assert (
        PriceBook([source], NOW + timedelta(days=1), store).lookup(
            "aws", "ec2", "eu-west-1", "x9.huge"
        )
        is None
    )
    assert source.asked == ["x9.huge"]


@pytest.mark.parametrize(
    "cached",
    [
        b"{corrupt",
        b"[1, 2, 3]",
        json.dumps({"entries": {"m5.large": {"hourly": 9.0}}}).encode(),  # no fetch date
        json.dumps({"entries": {"m5.large": {"hourly": 9.0, "fetched": "yesterday"}}}).encode(),
    ],
)
def test_a_corrupt_or_undated_cache_is_refetched_never_trusted(
    tmp_path: Path, cached: bytes
) -> None:
    store = LocalStore(tmp_path)
    store.put(KEY, cached)
    book = PriceBook([Source({"m5.large": 0.1})], NOW, store)
    assert book.lookup("aws", "ec2", "eu-west-1", "m5.large") == Price(
        0.1, "USD", "fake@2026-11-28"
    )
    assert json.loads(store.get(KEY) or b"")["entries"]["m5.large"]["hourly"] == 0.1


def test_an_api_failure_and_a_cache_that_cannot_be_written_are_reported_not_raised(
    tmp_path: Path,
) -> None:
    class Unwritable(LocalStore):
        def put(self, key: str, data: bytes) -> None:
            raise StoreUnavailable("bucket read-only")

    book = PriceBook([Source({"m5.large": 0.1})], NOW, Unwritable(tmp_path))
    assert book.lookup("aws", "ec2", "eu-west-1", "m5.large") == Price(
        0.1, "USD", "fake@2026-11-28"
    )
    assert book.errors == [f"price cache {KEY}: bucket read-only"]

    down = PriceBook([Source({}, down=True)], NOW)
    assert down.lookup("aws", "ec2", "eu-west-1", "m5.large") is None
    assert down.errors == ["fake: price API down"]


def test_a_cloud_whose_package_is_missing_has_no_caller_errors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from botocore.exceptions import NoCredentialsError

    assert NoCredentialsError in providers.caller_errors()
    # A function package for another cloud: the AWS errors module is not there.
    monkeypatch.setitem(providers.ERRORS, "aws", "providers.aws.not_packaged:caller_errors")
    found = providers.caller_errors()
    assert NoCredentialsError not in found and found  # the other clouds still answer


def test_a_broken_import_inside_a_cloud_package_is_not_taken_for_a_missing_cloud(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A module that imports something absent: a bug in the package, not a missing extra.
    (tmp_path / "offhours_broken_errors.py").write_text("import offhours_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setitem(providers.ERRORS, "aws", "offhours_broken_errors:caller_errors")
    with pytest.raises(ModuleNotFoundError, match="offhours_no_such_dependency"):
        providers.caller_errors()
