"""Run the GCS emulator (``gcp-storage-emulator``, in memory) for tests and the demo.

    with start_gcs_emulator() as endpoint:   # "http://127.0.0.1:PORT"
        store = GcsStore("gs://ledger/offhours", endpoint_url=endpoint)

The binary is taken from the running interpreter's ``bin`` directory (the venv), else PATH.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BINARY = "gcp-storage-emulator"


class EmulatorError(RuntimeError):
    """The emulator could not be found or did not start."""


def emulator_binary() -> str | None:
    beside = Path(sys.executable).parent / BINARY
    return str(beside) if beside.exists() else shutil.which(BINARY)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait_for_port(port: int, process: subprocess.Popen[bytes], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise EmulatorError(f"{BINARY} exited with code {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise EmulatorError(f"{BINARY} did not open port {port} within {timeout:.0f}s")


@contextmanager
def start_gcs_emulator(timeout: float = 20.0) -> Iterator[str]:
    """Start an in-memory emulator on a free port; yield its endpoint URL; kill it on exit."""
    binary = emulator_binary()
    if binary is None:
        raise EmulatorError(f"{BINARY} is not installed (pip install gcp-storage-emulator)")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "start", "--host", "127.0.0.1", "--port", str(port), "--in-memory"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for_port(port, process, timeout)
        yield f"http://127.0.0.1:{port}"
    finally:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
