"""Run the GCS emulator (``gcp-storage-emulator``, in memory) for tests and the demo.

    with start_gcs_emulator() as endpoint:   # "http://127.0.0.1:PORT"
        store = GcsStore("gs://ledger/offhours", endpoint_url=endpoint)

The binary is taken from the running interpreter's ``bin`` directory (the venv), else PATH.
"""

from __future__ import annotations

import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sandbox.local_service import ServiceError, run_on_free_port

BINARY = "gcp-storage-emulator"


class EmulatorError(ServiceError):
    """The emulator could not be found or did not start."""


def emulator_binary() -> str | None:
    beside = Path(sys.executable).parent / BINARY
    return str(beside) if beside.exists() else shutil.which(BINARY)


@contextmanager
def start_gcs_emulator(timeout: float = 20.0) -> Iterator[str]:
    """Start an in-memory emulator on a free port; yield its endpoint URL; kill it on exit."""
    binary = emulator_binary()
    if binary is None:
        raise EmulatorError(f"{BINARY} is not installed (pip install gcp-storage-emulator)")

    def command(port: int) -> list[str]:
        return [binary, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"]

    with run_on_free_port(BINARY, command, timeout) as port:
        yield f"http://127.0.0.1:{port}"
