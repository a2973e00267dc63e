"""One moto server and one fault proxy per test module; each test builds its own world
(moto reset, a fresh bucket and fleet)."""

from __future__ import annotations

import logging
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

# kit and proxy (beside this file) are imported by bare name, whichever import mode runs.
sys.path.insert(0, str(Path(__file__).parent))

from kit import launch_time_follows_the_clock
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
