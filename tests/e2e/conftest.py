"""One moto server per test module; a fresh, seeded fleet per test."""

from __future__ import annotations

import sys
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from e2e_kit import REGION, Cli, World, seed


@pytest.fixture(scope="module")
def moto_url() -> Iterator[str]:
    from sandbox.moto_server import moto_server

    with moto_server() as url:
        yield url


@pytest.fixture
def clients(moto_url: str) -> dict[str, Any]:
    import boto3

    # A clean account for every test: reset the server's state, keep the process.
    urllib.request.urlopen(
        urllib.request.Request(f"{moto_url}/moto-api/reset", method="POST"), timeout=10
    ).read()
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name=REGION
    )
    return {
        name: session.client(name, endpoint_url=moto_url)
        for name in ("ec2", "rds", "autoscaling", "s3")
    }


@pytest.fixture
def world(clients: dict[str, Any]) -> World:
    return World(clients, seed(clients))


@pytest.fixture
def cli(moto_url: str, tmp_path: Path) -> Cli:
    home = tmp_path / "home"
    home.mkdir()
    return Cli(moto_url, home)
