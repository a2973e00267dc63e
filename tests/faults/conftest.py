"""One moto server and one fault proxy per test module; each test builds its own world
(moto reset, a fresh bucket and fleet)."""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# kit and proxy (beside this file) are imported by bare name, whichever import mode runs.
sys.path.insert(0, str(Path(__file__).parent))

from kit import Box, World, fleet, launch_time_follows_the_clock
from proxy import FaultProxy, fault_proxy

from sandbox.moto_server import moto_server


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one line per request otherwise
    with moto_server() as url, launch_time_follows_the_clock():
        yield url


@pytest.fixture(scope="module")
def proxy(moto: str) -> Iterator[FaultProxy]:
    with fault_proxy(moto) as running:
        yield running


@pytest.fixture
def world(request: pytest.FixtureRequest, moto: str, proxy: FaultProxy) -> Callable[..., World]:
    """Builds the test's world: a fresh bucket named after the test, and its fleet."""

    def build(boxes: list[Box] | None = None) -> World:
        name = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower()).strip("-")
        return World(moto, proxy, f"faults-{name}", boxes or fleet())

    return build
